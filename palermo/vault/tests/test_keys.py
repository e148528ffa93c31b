"""Where keys come from: the environment list, the key file, or both."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from django.test import override_settings

from palermo.vault import ciphers
from palermo.vault.ciphers import VaultError
from palermo.vault.keys import add_key_to_file, index_key, keyring, write_new_key_file

K1 = base64.b64encode(bytes(range(32))).decode()
K2 = base64.b64encode(bytes(range(32, 64))).decode()
INDEX = base64.b64encode(b"i" * 32).decode()
NO_KEYS = {
    "PALERMO_KEYS": "",
    "PALERMO_KEY_FILE": "",
    "PALERMO_ACTIVE_KEY_ID": "",
    "PALERMO_INDEX_KEY": "",
}


def keys_from(**overrides: str) -> override_settings:
    return override_settings(**{**NO_KEYS, **overrides})


def test_keys_from_the_environment_list() -> None:
    with keys_from(
        PALERMO_KEYS=f"a:{K1},b:{K2}", PALERMO_ACTIVE_KEY_ID="b", PALERMO_INDEX_KEY=INDEX
    ):
        ring = keyring()
        assert set(ring.keys) == {"a", "b"}
        assert ring.active_id == "b"
        assert index_key() == b"i" * 32


def test_a_single_key_is_active_without_saying_so() -> None:
    with keys_from(PALERMO_KEYS=f"only:{K1}"):
        assert keyring().active_id == "only"


def test_several_keys_need_an_active_one() -> None:
    with keys_from(PALERMO_KEYS=f"a:{K1},b:{K2}"), pytest.raises(VaultError, match="active"):
        keyring()


def test_no_keys_at_all_is_a_clear_error() -> None:
    with keys_from(), pytest.raises(VaultError, match="No encryption keys"):
        keyring()
    with keys_from(), pytest.raises(VaultError, match="No blind-index key"):
        index_key()


def test_short_index_key_is_refused() -> None:
    with (
        keys_from(PALERMO_INDEX_KEY=base64.b64encode(b"short").decode()),
        pytest.raises(VaultError, match="at least 32 bytes"),
    ):
        index_key()


def test_settings_changes_clear_the_cached_keys() -> None:
    with keys_from(PALERMO_KEYS=f"a:{K1}"):
        assert keyring().active_id == "a"
        with override_settings(PALERMO_KEYS=f"b:{K2}"):
            assert keyring().active_id == "b"
        assert keyring().active_id == "a"


def test_key_file_is_written_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "keys.json"
    assert write_new_key_file(path) is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    assert write_new_key_file(path) is False
    assert path.read_bytes() == before
    data = json.loads(before)
    assert data["active"] == "k1"
    assert set(data["keys"]) == {"k1"}
    assert data["index_key"] != data["keys"]["k1"]


def test_keys_from_the_key_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    write_new_key_file(path)
    with keys_from(PALERMO_KEY_FILE=str(path)):
        ring = keyring()
        assert ring.active_id == "k1"
        assert len(index_key()) == 32
        envelope = ciphers.encrypt(ring, "Олена", "t.c")
    with keys_from(PALERMO_KEY_FILE=str(path)):  # read again from disk: same keys
        assert ciphers.decrypt(keyring(), envelope, "t.c") == "Олена"


def test_environment_adds_to_the_key_file_and_may_pick_the_active_key(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    write_new_key_file(path)
    with keys_from(PALERMO_KEY_FILE=str(path), PALERMO_KEYS=f"env:{K2}"):
        assert set(keyring().keys) == {"k1", "env"}
        assert keyring().active_id == "k1"  # the file's choice
    with keys_from(
        PALERMO_KEY_FILE=str(path), PALERMO_KEYS=f"env:{K2}", PALERMO_ACTIVE_KEY_ID="env"
    ):
        assert keyring().active_id == "env"


def test_added_key_becomes_active_and_old_values_still_open(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    write_new_key_file(path)
    with keys_from(PALERMO_KEY_FILE=str(path)):
        old = ciphers.encrypt(keyring(), "Олена", "t.c")
        assert add_key_to_file(path) == "k2"
        ring = keyring()  # the cache was cleared by add_key_to_file
        assert ring.active_id == "k2"
        assert ciphers.decrypt(ring, old, "t.c") == "Олена"
        assert ciphers.encrypt(ring, "x", "t.c").startswith("pv1:k2:")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["keys.json"]  # no temporary file left


def test_missing_or_broken_key_file_is_a_clear_error(tmp_path: Path) -> None:
    with keys_from(PALERMO_KEY_FILE=str(tmp_path / "nope.json")):
        with pytest.raises(VaultError, match="init-keys"):
            keyring()
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with keys_from(PALERMO_KEY_FILE=str(broken)), pytest.raises(VaultError, match="could not"):
        keyring()
    bad_key = tmp_path / "bad.json"
    bad_key.write_text(json.dumps({"active": "k1", "keys": {"k1": "%%%"}}))
    with keys_from(PALERMO_KEY_FILE=str(bad_key)), pytest.raises(VaultError, match="base64"):
        keyring()
