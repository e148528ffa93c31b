"""Encrypted files and their re-sealing under the active key (files.py)."""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from palermo.vault import ciphers, files
from palermo.vault.keys import keyring
from palermo.vault.rotation import RotationReport, rotate_files

AD = "palermo.tests.files.v1"
T2_ONLY = next(item for item in settings.PALERMO_KEYS.split(",") if item.startswith("t2:"))


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    return tmp_path / "spool"


@pytest.fixture
def kind(spool: Path) -> files.EncryptedFiles:
    return files.sealed_text_directory("test spool", lambda: spool, suffix=".x", associated_data=AD)


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(ciphers.encrypt(keyring(), text, AD), encoding="ascii")
    path.chmod(0o600)
    return path


def opened(path: Path) -> str:
    return ciphers.decrypt(keyring(), path.read_text(encoding="ascii"), AD)


@pytest.fixture
def under_t1(spool: Path) -> Iterator[list[Path]]:
    with override_settings(PALERMO_ACTIVE_KEY_ID="t1"):
        yield [
            write(spool, "001.x", "first message"),
            write(spool, "002.x", "second message"),
            write(spool / "rejected", "003.x", "set aside"),
        ]


def test_binary_envelope_round_trip_and_tampering() -> None:
    ring = keyring()
    blob = files.seal_bytes(ring, b"%PDF-1.7 ...", b"name-a")
    assert blob.startswith(b"pf1:t1:") and files.binary_key_id(blob[:20]) == "t1"
    assert files.open_bytes(ring, blob, b"name-a") == b"%PDF-1.7 ..."
    with pytest.raises(ciphers.VaultError):
        files.open_bytes(ring, blob, b"name-b")  # copied under another name
    with pytest.raises(ciphers.VaultError):
        files.open_bytes(ring, blob[:-1] + bytes([blob[-1] ^ 1]), b"name-a")
    with pytest.raises(ciphers.VaultError):
        files.binary_key_id(b"plain bytes")


def test_every_file_is_resealed_under_the_active_key_and_still_opens(
    kind: files.EncryptedFiles, under_t1: list[Path]
) -> None:
    with override_settings(PALERMO_ACTIVE_KEY_ID="t2"):
        assert len(files.stale_files(kind, "t2")) == 3  # the set-aside one too
        report = RotationReport(active_key_id="t2", dry_run=False)
        progress: list[int] = []
        result = rotate_files(kind, report, on_progress=progress.append)
        assert (result.rotated, result.skipped, result.failed, result.remaining) == (3, 0, 0, 0)
        assert sum(progress) == 3
    with override_settings(PALERMO_KEYS=T2_ONLY, PALERMO_ACTIVE_KEY_ID="t2"):  # t1 retired
        assert [opened(p) for p in under_t1] == ["first message", "second message", "set aside"]
    for path in under_t1:
        assert path.read_text().startswith("pv1:t2:")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in under_t1[0].parent.iterdir() if p.name.endswith(".tmp")]
    with override_settings(PALERMO_ACTIVE_KEY_ID="t2"):  # a second run: nothing to do
        again = rotate_files(kind, RotationReport(active_key_id="t2", dry_run=False))
        assert (again.rotated, again.remaining) == (0, 0)


def test_a_file_held_by_a_replayer_is_left_for_the_next_run(
    kind: files.EncryptedFiles, under_t1: list[Path]
) -> None:
    held = os.open(under_t1[0], os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        with override_settings(PALERMO_ACTIVE_KEY_ID="t2"):
            result = rotate_files(kind, RotationReport(active_key_id="t2", dry_run=False))
    finally:
        os.close(held)
    assert (result.rotated, result.skipped, result.remaining) == (2, 1, 1)
    assert under_t1[0].read_text().startswith("pv1:t1:")


def test_a_file_replayed_meanwhile_is_not_brought_back(
    kind: files.EncryptedFiles, under_t1: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between opening a file and locking it, a replayer ingested and deleted it."""
    target = under_t1[0]
    real_flock = fcntl.flock

    def replayed_first(fd: int, operation: int) -> None:
        if target.exists() and os.fstat(fd).st_ino == target.stat().st_ino:
            target.unlink()
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", replayed_first)
    with override_settings(PALERMO_ACTIVE_KEY_ID="t2"):
        assert kind.reseal(str(target), keyring()) == files.GONE
    assert not target.exists()


def test_a_file_no_key_opens_is_reported_and_the_others_rotated(
    kind: files.EncryptedFiles, under_t1: list[Path], spool: Path
) -> None:
    lost = ciphers.Keyring(keys={"lost": b"\x02" * 32}, active_id="lost")
    (spool / "000.x").write_text(ciphers.encrypt(lost, "gone for good", AD))
    (spool / "009.x").write_text("not an envelope")
    with override_settings(PALERMO_ACTIVE_KEY_ID="t2"):
        report = RotationReport(active_key_id="t2", dry_run=False)
        result = rotate_files(kind, report)
    assert (result.rotated, result.failed, result.remaining) == (3, 2, 2)
    assert len(report.failures) == 2 and all("test spool" in f for f in report.failures)
    assert "gone for good" not in " ".join(report.failures)


def test_a_dry_run_writes_nothing(kind: files.EncryptedFiles, under_t1: list[Path]) -> None:
    before = [p.read_bytes() for p in under_t1]
    with override_settings(PALERMO_ACTIVE_KEY_ID="t2"):
        result = rotate_files(kind, RotationReport(active_key_id="t2", dry_run=True))
    assert (result.rotated, result.remaining) == (3, 3)
    assert [p.read_bytes() for p in under_t1] == before
