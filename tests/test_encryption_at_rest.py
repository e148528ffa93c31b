"""Personal data is encrypted at rest: its plaintext appears nowhere in what the database stores.

The person is registered through the service, committed (transaction=True), and then the raw
storage is searched: the SQLite database's bytes (the in-memory test database serialised page
by page, or the file and its -wal), or a pg_dump of the PostgreSQL test database.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.db import connection

from palermo.accounts.roles import Role
from palermo.people.services import person_create
from palermo.testing import actor_for, member
from tests.postgresql_server import postgresql_bin_dir

# Values unlikely to occur by chance, each in the forms it is typed and may be normalised to.
SECRETS = {
    "first_name": ["Zyxwvutsrq"],
    "second_name": ["Qoxbrunfeld"],
    "identity_number": ["ZQ8675309X"],
    "email": ["zyxwvutsrq.qoxbrunfeld@example.org"],
    "mobile_phone": ["+380 67 864 2097", "+380678642097"],
    "mailing_street": ["Vulytsia Zhovtoblakytna 17"],
    "birthdate": ["1987-03-14"],
}


def needles() -> list[bytes]:
    forms = [value for values in SECRETS.values() for value in values]
    forms += [value.lower() for value in forms] + [value.upper() for value in forms]
    encoded = {
        form.encode(codec) for form in forms for codec in ("utf-8", "utf-16-le", "utf-16-be")
    }
    return sorted(encoded)


def sqlite_bytes() -> bytes:
    connection.ensure_connection()
    if connection.is_in_memory_db():
        # The exact pages SQLite holds, free pages included (sqlite3.Connection.serialize).
        return bytes(connection.connection.serialize())
    path = Path(connection.settings_dict["NAME"])
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-journal")]
    return b"".join(file.read_bytes() for file in files if file.exists())


def postgresql_dump() -> bytes:
    database = connection.settings_dict
    command = [
        str(postgresql_bin_dir() / "pg_dump"),
        "--no-owner",
        "--no-privileges",
        "--host",
        database["HOST"],
        "--port",
        str(database["PORT"]),
        "--username",
        database["USER"],
        "--dbname",
        database["NAME"],
    ]
    dumped = subprocess.run(
        command,
        capture_output=True,
        check=True,
        timeout=120,
        env={"PGPASSWORD": database.get("PASSWORD") or "", "PATH": ""},
    )
    return dumped.stdout


@pytest.mark.django_db(transaction=True)
def test_personal_fields_are_not_stored_in_clear() -> None:
    membership = member(Role.CASE_WORKER)
    person = person_create(
        actor=actor_for(membership),
        data={name: values[0] for name, values in SECRETS.items()},
    )
    person.refresh_from_db()
    assert person.first_name == "Zyxwvutsrq"  # it went in, and it reads back
    assert person.mobile_phone in SECRETS["mobile_phone"]

    if connection.vendor == "sqlite":
        stored = sqlite_bytes()
    elif connection.vendor == "postgresql":
        stored = postgresql_dump()
        assert b"COPY public.people_person" in stored, "the dump does not hold the person table"
    else:
        pytest.fail(f"no raw-storage check for the {connection.vendor} database")

    # The row is there (UUIDs are stored as 32 hex digits by SQLite, dashed by PostgreSQL) …
    assert person.public_id.hex.encode() in stored or str(person.public_id).encode() in stored
    # … but none of what identifies the person.
    leaked = [needle for needle in needles() if needle in stored]
    assert not leaked, f"plaintext found in the stored database: {leaked}"
