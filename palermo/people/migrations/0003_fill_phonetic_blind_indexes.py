"""Fill the sound-alike blind indexes of the persons registered before they existed.

Decrypts each person's names and date of birth (the vault's keys must be configured, as for
any start of Palermo), in batches; a database without persons needs no key. Reversing it
leaves the columns as they are: 0002 drops them.
"""

from django.db import migrations

BATCH = 2000


def fill(apps, schema_editor):
    from palermo.people.field_groups import phonetic_digests

    Person = apps.get_model("people", "Person")
    last = 0
    while True:
        batch = list(
            Person.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("pk", "first_name", "second_name", "birthdate")[:BATCH]
        )
        if not batch:
            return
        for person in batch:
            birthdate = person.birthdate
            digests = phonetic_digests(
                person.first_name or "",
                person.second_name or "",
                birthdate.year if birthdate else None,
            )
            for column, value in digests.items():
                setattr(person, column, value)
        Person.objects.bulk_update(
            batch,
            ["bidx_phonetic_names", "bidx_phonetic_first_year", "bidx_phonetic_last_year"],
        )
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("people", "0002_phonetic_blind_indexes")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
