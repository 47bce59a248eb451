"""The library's records and what keeps them: uploads, the build queue and the registry of
index versions, the database schema and its migrations. It knows nothing of HTTP or of the
index being served (the build job asks for a small interface, :class:`jobs.Rebuilder`)."""

from .jobs import IndexJobs, Rebuilder
from .records import DatabaseUnavailable, Library, database_url
from .registry import BuildRegistry

__all__ = [
    "BuildRegistry",
    "DatabaseUnavailable",
    "IndexJobs",
    "Library",
    "Rebuilder",
    "database_url",
]
