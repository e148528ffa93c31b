"""The all clear follows a normal check-in and never a duress one: hide the all-clear events
already recorded from the traveller's history and export (new ones are written hidden)."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def hide_all_clear(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    TripEvent = apps.get_model("safetravel", "TripEvent")
    TripEvent.objects.filter(kind="all_clear", traveller_visible=True).update(
        traveller_visible=False
    )


class Migration(migrations.Migration):
    dependencies = [("safetravel", "0002_sms_conversation")]

    operations = [migrations.RunPython(hide_all_clear, migrations.RunPython.noop, elidable=True)]
