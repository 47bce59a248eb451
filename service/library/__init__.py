"""The library's records and what keeps them: uploads, the build queue and the registry of
index versions, accounts, collections and the audit log, the database schema and its
migrations. It knows nothing of HTTP or of the index being served (the build job asks for a
small interface, :class:`jobs.Rebuilder`)."""

from .accounts import AccountProblem, Accounts, Member
from .audit import AuditLog
from .credentials import Credentials
from .grants import DEFAULT, Collections, Policy
from .jobs import IndexJobs, Rebuilder
from .records import DatabaseUnavailable, Library, database_url
from .registry import BuildRegistry

__all__ = [
    "DEFAULT",
    "AccountProblem",
    "Accounts",
    "AuditLog",
    "BuildRegistry",
    "Collections",
    "Credentials",
    "DatabaseUnavailable",
    "IndexJobs",
    "Library",
    "Member",
    "Policy",
    "Rebuilder",
    "database_url",
]
