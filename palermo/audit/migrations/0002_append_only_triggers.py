"""Database triggers that keep the audit log append-only, whatever code touches the tables.

Events can be neither changed nor deleted; the chain head can only move forward. The hash
chain proves tampering afterwards; these refuse it up front, also to code that bypasses
the models (raw SQL, bulk updates, a mistaken data migration).

The test runner empties every table between transactional tests: deleting or truncating
an *empty* table is allowed, so tests that write audit events must erase them with the
triggers dropped (palermo/audit/tests/tampering.py does it).

The SQL is spelt out here, not imported, so this migration never changes after the fact.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END""",
    """CREATE TRIGGER audit_auditchainhead_no_rewind BEFORE UPDATE ON audit_auditchainhead
    WHEN NEW.id <> OLD.id OR NEW.sequence <= OLD.sequence
    BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward: UPDATE refused'); END""",
    """CREATE TRIGGER audit_auditchainhead_no_delete BEFORE DELETE ON audit_auditchainhead
    BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward: DELETE refused'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_auditchainhead_no_delete",
    "DROP TRIGGER IF EXISTS audit_auditchainhead_no_rewind",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
]

POSTGRESQL_FORWARD = [
    """CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $body$
    DECLARE
        has_rows boolean;
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', TG_TABLE_NAME) INTO has_rows;
            IF NOT has_rows THEN
                RETURN NULL;
            END IF;
        ELSIF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'audit_auditchainhead'
              AND NEW.id = OLD.id AND NEW.sequence > OLD.sequence THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END;
    $body$""",
    """CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_auditevent_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_auditchainhead_no_rewind BEFORE UPDATE ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_auditchainhead_no_delete BEFORE DELETE ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_auditchainhead_no_truncate BEFORE TRUNCATE ON audit_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_auditchainhead_no_truncate ON audit_auditchainhead",
    "DROP TRIGGER IF EXISTS audit_auditchainhead_no_delete ON audit_auditchainhead",
    "DROP TRIGGER IF EXISTS audit_auditchainhead_no_rewind ON audit_auditchainhead",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_refuse_change()",
]

FORWARD = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}
BACKWARD = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}


def _statements(table, vendor):
    if vendor not in table:
        # Fail closed: Palermo runs on SQLite or PostgreSQL, and an unprotected log is a bug.
        raise NotImplementedError(f"No append-only triggers for the {vendor} database.")
    return table[vendor]


def create_triggers(apps, schema_editor):
    for sql in _statements(FORWARD, schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


def drop_triggers(apps, schema_editor):
    for sql in _statements(BACKWARD, schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
