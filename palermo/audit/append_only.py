"""Whether the database triggers that keep the audit log append-only are in place.

Migration 0002 creates them. A later migration that rebuilds an audit table on SQLite
drops them silently, and anyone with database rights can drop or disable them, so
`palermo audit verify` checks they are still there.
"""

from __future__ import annotations

from django.db import connection

PROTECTING_TRIGGERS: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "audit_auditevent_no_update",
        "audit_auditevent_no_delete",
        "audit_auditchainhead_no_rewind",
        "audit_auditchainhead_no_delete",
    ),
    "postgresql": (
        "audit_auditevent_no_update",
        "audit_auditevent_no_delete",
        "audit_auditevent_no_truncate",
        "audit_auditchainhead_no_rewind",
        "audit_auditchainhead_no_delete",
        "audit_auditchainhead_no_truncate",
    ),
}

_SQLITE_PRESENT = (
    "SELECT name FROM sqlite_master WHERE type = 'trigger' "
    "AND tbl_name IN ('audit_auditevent', 'audit_auditchainhead')"
)
# tgenabled 'D' is ALTER TABLE ... DISABLE TRIGGER: present but not firing.
_POSTGRESQL_PRESENT = (
    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' "
    "AND tgrelid IN ('audit_auditevent'::regclass, 'audit_auditchainhead'::regclass)"
)


def missing_triggers() -> list[str]:
    """Names of the protecting triggers that are absent or disabled, in a stable order."""
    expected = PROTECTING_TRIGGERS.get(connection.vendor)
    if expected is None:
        return [f"(no append-only triggers for the {connection.vendor} database)"]
    query = _SQLITE_PRESENT if connection.vendor == "sqlite" else _POSTGRESQL_PRESENT
    with connection.cursor() as cursor:
        cursor.execute(query)
        present = {name for (name,) in cursor.fetchall()}
    return [name for name in expected if name not in present]
