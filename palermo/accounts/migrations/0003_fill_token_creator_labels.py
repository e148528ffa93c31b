"""Name the creator of tokens made before the label existed: the user, or the command."""

from django.db import migrations


def fill_labels(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    for token in ApiToken.objects.filter(created_by_label="").select_related("created_by"):
        token.created_by_label = (
            token.created_by.username[:150] if token.created_by else "command create-token"
        )
        token.save(update_fields=["created_by_label"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_token_creator_and_enrolment_window")]

    operations = [migrations.RunPython(fill_labels, migrations.RunPython.noop)]
