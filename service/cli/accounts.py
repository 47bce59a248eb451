"""``briefing-qa users | groups | collections | keys | audit`` (issue #25): the first admin and
scripts set up accounts, groups and collections here, in the database the servers share
(``BRIEFING_QA_DATABASE_URL``, or the SQLite file beside the index). What they change counts on
every replica with the next request; each change is in the audit log.
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..library import AccountProblem, DatabaseUnavailable, Library, database_url
from ..library.accounts import ROLES
from ..settings import Settings

users_app = typer.Typer(help="Accounts: add a user, change a password, list, remove.")
groups_app = typer.Typer(help="Groups of users, which collections are granted to.")
collections_app = typer.Typer(help="Collections: who may read and write them.")
keys_app = typer.Typer(help="Per-user API keys, for Authorization: Bearer.")
audit_app = typer.Typer(help="The audit log: sign-ins, uploads, deletes, grants, key use.")

IndexOption = Annotated[
    Path | None, typer.Option("--index", help="Index folder [env BRIEFING_QA_INDEX_DIR]")
]


def register(app: typer.Typer) -> None:
    """Add the command groups to ``app``."""
    app.add_typer(users_app, name="users")
    app.add_typer(groups_app, name="groups")
    app.add_typer(collections_app, name="collections")
    app.add_typer(keys_app, name="keys")
    app.add_typer(audit_app, name="audit")


class _Store:
    """The database's access records, opened from the settings."""

    def __init__(self, index: Path | None) -> None:
        from ..library import Accounts, AuditLog, Collections, Credentials

        settings = Settings() if index is None else Settings(index_dir=index)
        try:
            engine = Library(database_url(settings.database_url, settings.index_dir)).engine
        except DatabaseUnavailable as exc:
            _fail(str(exc))
        self.accounts = Accounts(engine)
        self.credentials = Credentials(engine)
        self.collections = Collections(engine)
        self.audit = AuditLog(engine)

    def record(self, action: str, target: str, **detail: Any) -> None:
        self.audit.record(action, f"cli:{getpass.getuser()}", target, "cli", **detail)


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _names(raw: str | None) -> list[str]:
    return [n.strip() for n in (raw or "").split(",") if n.strip()]


def _password() -> str:
    """From a terminal: asked twice, hidden. Otherwise the first line of stdin (for scripts;
    never an argument, which other users of the machine could read in the process list)."""
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}.")] = "reader",
    index: IndexOption = None,
) -> None:
    """Add a user; the password comes from stdin."""
    store = _Store(index)
    try:
        store.accounts.add_user(name, role, _password())
    except AccountProblem as problem:
        _fail(str(problem))
    store.record("user-add", name, role=role)
    typer.echo(f"added {role} {name}")


@users_app.command("passwd")
def users_passwd(name: str, index: IndexOption = None) -> None:
    """Set a user's password (from stdin); every session of the user ends."""
    store = _Store(index)
    try:
        ended = store.accounts.set_password(name, _password())
    except AccountProblem as problem:
        _fail(str(problem))
    store.record("password-change", name, sessions=ended)
    typer.echo(f"password of {name} changed; {ended} session(s) ended")


@users_app.command("list")
def users_list(index: IndexOption = None) -> None:
    """Every user and role."""
    for user in _Store(index).accounts.users():
        typer.echo(f"{user['name']}\t{user['role']}")


@users_app.command("remove")
def users_remove(name: str, index: IndexOption = None) -> None:
    """Delete a user, with their sessions, keys and memberships."""
    store = _Store(index)
    try:
        store.accounts.remove_user(name)
    except AccountProblem as problem:
        _fail(str(problem))
    store.record("user-remove", name)
    typer.echo(f"removed {name}")


@groups_app.command("add")
def groups_add(
    name: str,
    members: Annotated[str, typer.Option(help="Users to add, comma-separated.")] = "",
    index: IndexOption = None,
) -> None:
    """Make a group (if new) and add members to it."""
    store = _Store(index)
    try:
        store.accounts.add_group(name, _names(members))
    except AccountProblem as problem:
        _fail(str(problem))
    store.record("group-add", name, members=_names(members))
    typer.echo(f"group {name}: {', '.join(store.accounts.groups().get(name, [])) or '(empty)'}")


@groups_app.command("remove")
def groups_remove(
    name: str,
    members: Annotated[
        str | None, typer.Option(help="Users to take out; without it the group is deleted.")
    ] = None,
    index: IndexOption = None,
) -> None:
    """Take members out of a group, or delete it; counts on every replica at once."""
    store = _Store(index)
    leaving = _names(members) if members is not None else None
    try:
        store.accounts.remove_members(name, leaving)
    except AccountProblem as problem:
        _fail(str(problem))
    store.record("group-remove", name, members=leaving)
    typer.echo(f"removed {', '.join(leaving) if leaving else 'the group'} from {name}")


@groups_app.command("list")
def groups_list(index: IndexOption = None) -> None:
    """Every group and its members."""
    for name, members in _Store(index).accounts.groups().items():
        typer.echo(f"{name}\t{','.join(members)}")


@collections_app.command("add")
def collections_add(
    name: str,
    public: Annotated[bool, typer.Option("--public", help="Anyone may read it.")] = False,
    readers: Annotated[str, typer.Option(help="Groups that may read it.")] = "",
    writers: Annotated[str, typer.Option(help="Groups whose editors may write it.")] = "",
    index: IndexOption = None,
) -> None:
    """Make a collection, or replace who may read and write it (a grant)."""
    if public == bool(_names(readers)):
        _fail("give either --public or --readers GROUP[,GROUP]")
    store = _Store(index)
    try:
        store.collections.set_collection(name, public, _names(readers), _names(writers))
    except AccountProblem as problem:
        _fail(str(problem))
    store.record("grant", name, public=public, readers=_names(readers), writers=_names(writers))
    shown = "public" if public else f"readers {readers}"
    typer.echo(f"collection {name}: {shown}; writers {writers or '(none)'}")


@collections_app.command("list")
def collections_list(index: IndexOption = None) -> None:
    """Every collection and its grants."""
    for shelf in _Store(index).collections.policy().shelves.values():
        readers = "public" if shelf.public else ",".join(sorted(shelf.readers))
        typer.echo(f"{shelf.name}\tread: {readers}\twrite: {','.join(sorted(shelf.writers))}")


@keys_app.command("add")
def keys_add(name: str, index: IndexOption = None) -> None:
    """Make an API key for a user and print it (once: only its hash is kept)."""
    store = _Store(index)
    try:
        key_id, key = store.credentials.add_key(name)
    except AccountProblem as problem:
        _fail(str(problem))
    store.record("key-add", name, key=key_id)
    typer.echo(f"key {key_id} for {name} (shown once; revoke with: keys revoke {key_id})",
               err=True)  # fmt: skip
    typer.echo(key)


@keys_app.command("revoke")
def keys_revoke(key_id: str, index: IndexOption = None) -> None:
    """Revoke a key by its id; counts on every replica at once."""
    store = _Store(index)
    try:
        owner = store.credentials.revoke_key(key_id)
    except AccountProblem as problem:
        _fail(str(problem))
    store.record("key-revoke", owner, key=key_id)
    typer.echo(f"revoked {key_id} of {owner}")


@keys_app.command("list")
def keys_list(index: IndexOption = None) -> None:
    """Every key's id, owner and dates (never the key)."""
    for key in _Store(index).credentials.listed_keys():
        typer.echo(json.dumps(key))


@audit_app.command("export")
def audit_export(
    action: Annotated[str | None, typer.Option(help="Only this action (e.g. sign-in).")] = None,
    index: IndexOption = None,
) -> None:
    """Print the audit log as JSON Lines, oldest first."""
    for entry in _Store(index).audit.entries(action):
        typer.echo(json.dumps(entry, ensure_ascii=False))
