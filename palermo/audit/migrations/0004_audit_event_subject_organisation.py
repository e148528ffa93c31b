"""Audit events name the owner organisation of the record concerned (subject_organisation).

Schema only: a nullable foreign key and the index its supervisors' audit page uses.

The append-only triggers of 0002 must survive. Adding a nullable column is an ALTER TABLE
on both databases and keeps them, but SQLite cannot drop a foreign-key column: reversing
this migration rebuilds the table (new table, copy, drop, rename), and dropping the old
table drops its triggers with it. So on SQLite the triggers are put back after the change
in both directions (the first and last operations below). The trigger SQL is 0002's, spelt
out again so that this migration never changes after the fact.
"""

import django.db.models.deletion
from django.db import migrations, models

SQLITE_TRIGGERS = {
    "audit_auditevent_no_update": """CREATE TRIGGER audit_auditevent_no_update
    BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END""",
    "audit_auditevent_no_delete": """CREATE TRIGGER audit_auditevent_no_delete
    BEFORE DELETE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END""",
    "audit_auditchainhead_no_rewind": """CREATE TRIGGER audit_auditchainhead_no_rewind
    BEFORE UPDATE ON audit_auditchainhead
    WHEN NEW.id <> OLD.id OR NEW.sequence <= OLD.sequence
    BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward: UPDATE refused'); END""",
    "audit_auditchainhead_no_delete": """CREATE TRIGGER audit_auditchainhead_no_delete
    BEFORE DELETE ON audit_auditchainhead
    BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward: DELETE refused'); END""",
}


def reinstate_sqlite_triggers(apps, schema_editor):
    """Recreate the append-only triggers on SQLite (a table rebuild drops them)."""
    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL keeps triggers through ALTER TABLE
    for name, sql in SQLITE_TRIGGERS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_token_creator_and_enrolment_window"),
        ("audit", "0003_audit_event_org_recent_index"),
    ]

    operations = [
        # Runs last when reversing: after RemoveField has rebuilt the table.
        migrations.RunPython(migrations.RunPython.noop, reinstate_sqlite_triggers, elidable=False),
        migrations.AddField(
            model_name="auditevent",
            name="subject_organisation",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.organisation",
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                fields=["subject_organisation", "-sequence"], name="audit_event_subject_recent"
            ),
        ),
        # Runs last going forward, in case this Django version rebuilds the table to add it.
        migrations.RunPython(reinstate_sqlite_triggers, migrations.RunPython.noop, elidable=False),
    ]
