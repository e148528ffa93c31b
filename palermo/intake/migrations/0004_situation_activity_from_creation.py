"""Situations made before they had a last-change time: it is their creation time."""

from django.db import migrations
from django.db.models import F


def from_creation(apps, schema_editor):  # type: ignore[no-untyped-def]
    Situation = apps.get_model("intake", "Situation")
    Situation.objects.update(updated_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("intake", "0003_situation_status_and_activity")]

    operations = [migrations.RunPython(from_creation, migrations.RunPython.noop)]
