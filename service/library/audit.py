"""The audit log (issue #25): sign-ins that worked and that failed, uploads, deletes, grants,
accounts and keys made or revoked, and every use of an API key — who, when, what, from where —
in the library's database, where every replica writes and ``briefing-qa audit export`` reads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from .access_tables import audit_log

log = logging.getLogger("briefing_qa.audit")


class AuditLog:
    """Append-only records of who did what.

    Args:
        engine: the library's database (already migrated).

    Attributes:
        failures: records that could not be written since the process started.
        on_failure: called once per record that could not be written (the metrics count it).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.failures = 0
        self.on_failure: list[Callable[[], None]] = []

    def record(
        self,
        action: str,
        actor: str | None,
        target: str = "",
        address: str = "",
        **detail: Any,
    ) -> None:
        """Note one event. A database that cannot take it is logged as an error and counted
        (``/metrics``), never raised to the user: the request it describes has already been
        decided, and a missing record is for the operator to see and mend."""
        try:
            with self.engine.begin() as db:
                db.execute(
                    insert(audit_log).values(
                        at=datetime.now(UTC),
                        actor=actor,
                        action=action[:40],
                        target=target[:400],
                        address=address[:100],
                        detail=json.dumps(detail, ensure_ascii=False, default=str),
                    )
                )
        except Exception:
            log.exception("could not write the audit record %s by %s", action, actor)
            self.failures += 1
            for listener in self.on_failure:
                listener()

    def entries(self, action: str | None = None) -> list[dict[str, Any]]:
        """Every record (of ``action`` only, when given), oldest first, JSON-ready."""
        query = select(audit_log).order_by(audit_log.c.id)
        if action is not None:
            query = query.where(audit_log.c.action == action)
        with self.engine.connect() as db:
            rows = db.execute(query).mappings().all()
        return [
            {**dict(r), "at": r["at"].isoformat(), "detail": json.loads(r["detail"])} for r in rows
        ]
