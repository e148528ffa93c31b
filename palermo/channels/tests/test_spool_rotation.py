"""`palermo rotate-keys` re-seals the webhooks spooled during an outage, so the old key can go
while messages still wait in the spool; they replay with the new key alone."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings

from palermo.channels import ingestion, spool
from palermo.channels.models import Channel, Message

from .conftest import generic_post
from .test_durability import database_refusing_connections

pytestmark = pytest.mark.django_db

T2_ONLY = next(item for item in settings.PALERMO_KEYS.split(",") if item.startswith("t2:"))


def test_spooled_webhooks_are_resealed_and_replay_after_the_old_key_is_retired(
    client: Client, generic_channel: Channel, channel_state: Path
) -> None:
    ingestion.forget_cached_channels()
    with database_refusing_connections():
        for number in (1, 2):
            body = {"id": f"rot-{number}", "from": "+37369000111", "to": "527", "text": "Ajutor"}
            assert generic_post(client, generic_channel, body).status_code == 200
    files = spool.spooled_files()
    assert len(files) == 2 and all(f.read_text().startswith("pv1:t1:") for f in files)
    (spool.spool_dir() / spool.REJECTED).mkdir()
    set_aside = spool.spool_dir() / spool.REJECTED / "00000000000000000000-old.spool"
    set_aside.write_text(files[0].read_text())  # a file the operator has not looked at yet

    out = io.StringIO()
    with override_settings(PALERMO_ACTIVE_KEY_ID="t2"):
        call_command("rotate-keys", stdout=out, stderr=io.StringIO())
    assert "channels spool: re-encrypted 3 file(s)" in out.getvalue()
    assert all(f.read_text().startswith("pv1:t2:") for f in [*files, set_aside])

    with override_settings(PALERMO_KEYS=T2_ONLY, PALERMO_ACTIVE_KEY_ID="t2"):
        webhook, _verified = spool.read(set_aside)
        assert json.loads(webhook.body)["id"] == "rot-1"
        report = spool.replay()
    assert report.replayed == 2 and report.rejected == 0
    assert sorted(Message.objects.values_list("provider_message_id", flat=True)) == [
        "rot-1",
        "rot-2",
    ]
