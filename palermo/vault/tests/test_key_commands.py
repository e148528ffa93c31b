"""`palermo init-keys` and `palermo add-key`."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings


def run(name: str) -> str:
    out = io.StringIO()
    call_command(name, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_init_keys_creates_the_file_once(tmp_path: Path) -> None:
    path = tmp_path / "var" / "keys.json"
    with override_settings(PALERMO_KEY_FILE=str(path)):
        assert "Created key file" in run("init-keys")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        content = path.read_bytes()
        assert "already exists" in run("init-keys")
        assert path.read_bytes() == content


def test_add_key_adds_and_activates(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    with override_settings(PALERMO_KEY_FILE=str(path), PALERMO_ACTIVE_KEY_ID=""):
        run("init-keys")
        assert "Added key k2" in run("add-key")
        data = json.loads(path.read_text())
        assert data["active"] == "k2" and set(data["keys"]) == {"k1", "k2"}


@pytest.mark.parametrize("name", ["init-keys", "add-key"])
def test_key_file_commands_need_a_key_file_setting(name: str) -> None:
    with override_settings(PALERMO_KEY_FILE=""), pytest.raises(CommandError, match="PALERMO_KEY"):
        call_command(name)


def test_add_key_without_a_file_says_so(tmp_path: Path) -> None:
    with (
        override_settings(PALERMO_KEY_FILE=str(tmp_path / "none.json")),
        pytest.raises(CommandError, match="init-keys"),
    ):
        call_command("add-key")
