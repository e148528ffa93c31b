"""Checkpoints anchored outside the database catch what the chain and its head cannot.

The attacker here can run SQL but holds no key and cannot reach the anchor file: they delete
the last events and wind the head back to the last event kept (its sequence and hash are in
the clear), or delete everything. The chain alone calls both logs intact.
"""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from palermo.accounts.models import Membership
from palermo.audit.anchors import anchor_event, signing_key
from palermo.audit.checkpoints import Checkpoint, signed_line
from palermo.audit.models import AuditChainHead, AuditEvent
from palermo.audit.verification import verify_chain

from .events import record
from .tampering import raw_delete, triggers_dropped
from .test_verify_command import verify


def checkpoint() -> str:
    out = io.StringIO()
    call_command("audit", "checkpoint", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def anchors(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def anchor_time(path: Path, line: int = -1) -> str:
    """The time of an anchor line as verify reports it."""
    at = str(anchors(path)[line]["at"])
    return at.replace("T", " ").replace("Z", " UTC")


def rewind_head_to(sequence: int) -> None:
    """The attacker's second step: the head agrees with the last event kept."""
    kept = AuditEvent.objects.get(sequence=sequence)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditchainhead SET sequence = %s, hash = %s", [sequence, kept.hash]
        )


def backdated(
    monkeypatch: pytest.MonkeyPatch, membership: Membership, count: int, days: int
) -> None:
    moment = timezone.now() - timedelta(days=days)
    with monkeypatch.context() as patch:
        patch.setattr("palermo.audit.services.timezone.now", lambda: moment)
        record(membership, count)


@pytest.fixture
def five_events(worker_a: Membership) -> list[AuditEvent]:
    return record(worker_a, 5)


# --- writing checkpoints ------------------------------------------------------------------


def test_the_checkpoint_command_appends_one_signed_line(
    five_events: list[AuditEvent], anchor_path: Path
) -> None:
    assert not anchor_path.exists()
    out = checkpoint()
    assert out == (f"Checkpoint written to {anchor_path}: event #5, hash {five_events[-1].hash}.\n")
    (line,) = anchors(anchor_path)
    assert set(line) == {"v", "sequence", "hash", "at", "key", "signature"}
    assert (line["sequence"], line["hash"]) == (5, five_events[-1].hash)
    assert os.stat(anchor_path).st_mode & 0o007 == 0  # not readable by others
    record(Membership.objects.get(user__username="worker_a"))
    checkpoint()
    assert [a["sequence"] for a in anchors(anchor_path)] == [5, 6]


@pytest.mark.django_db
def test_an_empty_log_is_anchored_at_zero(anchor_path: Path) -> None:
    checkpoint()
    assert anchors(anchor_path)[0]["sequence"] == 0
    assert verify() == (0, "Audit log intact: 0 events verified against 1 anchor.\n", "")


@pytest.mark.usefixtures("five_events")
def test_no_checkpoint_without_a_head(anchor_path: Path) -> None:
    with triggers_dropped(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditchainhead")
    with pytest.raises(CommandError, match="chain head is missing"):
        checkpoint()
    assert not anchor_path.exists()


def test_the_signing_key_is_derived_and_kept_apart() -> None:
    from palermo.vault.keys import audit_chain_key, index_key

    raw = signing_key().private_bytes_raw()
    assert raw == signing_key().private_bytes_raw()  # deterministic: nothing to store
    assert raw not in (index_key(), audit_chain_key())
    with override_settings(PALERMO_INDEX_KEY="WVpbXF1eX2BhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3g="):
        assert signing_key().private_bytes_raw() != raw


def test_checkpoints_every_n_events_once_committed(
    worker_a: Membership,
    anchor_path: Path,
    django_capture_on_commit_callbacks: object,
) -> None:
    with override_settings(PALERMO_AUDIT_CHECKPOINT_EVERY=2):
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            events = record(worker_a, 5)
        assert [(a["sequence"], a["hash"]) for a in anchors(anchor_path)] == [
            (2, events[1].hash),
            (4, events[3].hash),
        ]
        # Rolled back: the event never existed, so it is never anchored.
        with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[operator]
            with pytest.raises(RuntimeError), transaction.atomic():
                record(worker_a)
                raise RuntimeError("rolled back")
        assert callbacks == []
    assert len(anchors(anchor_path)) == 2
    assert verify()[0] == 0


def test_a_failed_anchor_write_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with override_settings(PALERMO_AUDIT_ANCHOR_FILE=str(blocked / "anchors.log")):
        anchor_event(1, "a" * 64)
    (error,) = [r for r in caplog.records if r.name == "palermo.audit.anchor" and r.levelno >= 40]
    assert "checkpoint of event #1 not written" in error.getMessage()


# --- the review's attacks -------------------------------------------------------------------


@pytest.mark.usefixtures("five_events")
def test_truncating_and_rewinding_the_head_is_caught(anchor_path: Path) -> None:
    checkpoint()
    with triggers_dropped():
        raw_delete(4, 5)
        rewind_head_to(3)
    assert verify() == (
        1,
        "",
        f"Audit log BROKEN: events after #3 were removed: the anchor of "
        f"{anchor_time(anchor_path)} records #5\n",
    )


@pytest.mark.usefixtures("five_events")
def test_wiping_everything_is_caught(anchor_path: Path) -> None:
    checkpoint()
    with triggers_dropped(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
        cursor.execute("DELETE FROM audit_auditchainhead")
    assert verify() == (
        1,
        "",
        f"Audit log BROKEN: every event was removed: the anchor of "
        f"{anchor_time(anchor_path)} records #5\n",
    )


def test_truncating_then_appending_anew_is_caught(
    five_events: list[AuditEvent], anchor_path: Path
) -> None:
    checkpoint()
    with triggers_dropped():
        raw_delete(4, 5)
        rewind_head_to(3)
    # New events take the freed sequences: the chain is whole again, but they are not the
    # events the anchor saw.
    record(Membership.objects.get(user__username="worker_a"), 2)
    code, _out, err = verify()
    assert (code, err) == (
        1,
        f"Audit log BROKEN: event #5 is not the one the anchor of {anchor_time(anchor_path)} "
        "records (its hash differs): the log was rewritten up to #5\n",
    )


@pytest.mark.usefixtures("five_events")
def test_a_head_behind_the_last_checkpoint_is_reported(anchor_path: Path) -> None:
    checkpoint()
    with triggers_dropped():
        rewind_head_to(3)
    code, _out, err = verify()
    assert code == 1
    assert err.splitlines() == [
        "Audit log BROKEN at event #4: the event is beyond the chain head (which ends at 3)",
        f"Audit log BROKEN: the chain head (#3) is behind the anchor of "
        f"{anchor_time(anchor_path)}, which records #5",
    ]


@pytest.mark.usefixtures("five_events")
def test_an_event_removed_from_the_middle_is_named_by_its_anchor(anchor_path: Path) -> None:
    checkpoint()  # anchors #5
    record(Membership.objects.get(user__username="worker_a"), 2)
    call_command("audit", "checkpoint", stdout=io.StringIO())  # anchors #7
    with triggers_dropped():
        raw_delete(5)
    _code, _out, err = verify()
    assert err.splitlines() == [
        "Audit log BROKEN at event #5: the event is missing",
        f"Audit log BROKEN: event #5 was removed: the anchor of "
        f"{anchor_time(anchor_path, 0)} records it",
    ]


# --- the anchor file itself -----------------------------------------------------------------


def test_a_forged_anchor_line_is_reported(five_events: list[AuditEvent], anchor_path: Path) -> None:
    checkpoint()
    genuine = anchors(anchor_path)[0]
    # Altered: a later end claimed under the genuine signature.
    altered = {**genuine, "sequence": 9}
    # Forged: signed, but not with this deployment's key.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    forged = signed_line(
        Checkpoint(sequence=9, hash="b" * 64, at=timezone.now()), Ed25519PrivateKey.generate()
    )
    with anchor_path.open("a") as handle:
        handle.write(json.dumps(altered) + "\n")
        handle.write(forged + "\n")
        handle.write("not json at all\n")
    code, _out, err = verify()
    assert code == 1
    assert err.splitlines() == [
        f"Audit log BROKEN: anchor line 2 of {anchor_path}: its signature is not valid: "
        "the line was forged or altered",
        f"Audit log BROKEN: anchor line 3 of {anchor_path}: its signature is not valid: "
        "it was signed with another key, or forged",
        f"Audit log BROKEN: anchor line 4 of {anchor_path}: it is not a checkpoint",
    ]
    # The forged lines are not believed: nothing says event #9 was removed.
    assert "#9" not in err


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_an_anchor_file_gone_while_old_events_exist_is_reported(
    worker_a: Membership, anchor_path: Path, monkeypatch: pytest.MonkeyPatch, state: str
) -> None:
    backdated(monkeypatch, worker_a, 2, days=3)
    if state == "empty":
        anchor_path.parent.mkdir(parents=True)
        anchor_path.write_text("")
    first = AuditEvent.objects.get(sequence=1).occurred_at
    code, _out, err = verify()
    assert (code, err) == (
        1,
        f"Audit log BROKEN: the anchor file {anchor_path} is {state}, but event #1 of "
        f"{first.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC is more than 48 hours old: "
        "the anchors were removed, or checkpoints were never written (compare with the "
        "copies on the remote log)\n",
    )


def test_anchor_lines_cut_from_the_end_leave_old_events_uncovered(
    worker_a: Membership, anchor_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backdated(monkeypatch, worker_a, 2, days=5)
    checkpoint()  # anchors #2
    backdated(monkeypatch, worker_a, 2, days=3)  # #3 and #4: their anchor line "was removed"
    code, _out, err = verify()
    assert code == 1
    assert err.startswith("Audit log BROKEN: no anchor covers event #3, and event #3 of ")
    assert f"the newest valid anchor, of {anchor_time(anchor_path)}, records #2" in err
    assert "is the worker running?" in err
    # Recent events are not expected to be anchored yet.
    checkpoint()
    record(worker_a, 3)
    assert verify() == (0, "Audit log intact: 7 events verified against 2 anchors.\n", "")


def test_normal_operation_stays_intact(worker_a: Membership, anchor_path: Path) -> None:
    for _ in range(3):
        record(worker_a, 2)
        checkpoint()
    record(worker_a, 1)
    assert verify() == (0, "Audit log intact: 7 events verified against 3 anchors.\n", "")
    result = verify_chain()
    assert result.intact and result.anchors is not None and result.anchors.checked == 3


def test_a_copy_from_the_remote_log_catches_a_deleted_anchor_file(
    five_events: list[AuditEvent], anchor_path: Path, tmp_path: Path
) -> None:
    checkpoint()
    # What the syslog server kept: its own prefix before each line.
    copy = tmp_path / "remote.log"
    copy.write_text(
        "".join(
            f"Mar  1 02:00:00 host palermo-audit-anchor: audit checkpoint {line}\n"
            for line in anchor_path.read_text().splitlines()
        )
    )
    with triggers_dropped():
        raw_delete(4, 5)
        rewind_head_to(3)
    anchor_path.unlink()  # the attacker could reach the local file too
    assert verify()[0] == 0  # recent events, no local anchors: nothing to compare with
    code, _out, err = verify("--anchor-file", str(copy))
    assert code == 1
    assert err == (
        "Audit log BROKEN: events after #3 were removed: the anchor of "
        f"{_remote_time(copy)} records #5\n"
    )
    with pytest.raises(CommandError, match="No anchor file"):
        verify("--anchor-file", str(tmp_path / "nothing-here.log"))


def _remote_time(path: Path) -> str:
    line = path.read_text().splitlines()[-1]
    at = str(json.loads(line[line.index("{") :])["at"])
    return at.replace("T", " ").replace("Z", " UTC")


# --- anchoring switched off ----------------------------------------------------------------


@pytest.mark.usefixtures("five_events")
@override_settings(PALERMO_AUDIT_ANCHOR_FILE="")
def test_with_anchoring_off_verify_says_what_it_cannot_prove() -> None:
    assert verify() == (
        0,
        "Audit log intact: 5 events verified (anchoring is off: events removed from the end "
        "cannot be detected; set PALERMO_AUDIT_ANCHOR_FILE).\n",
        "",
    )
    with pytest.raises(CommandError, match="Anchoring is off"):
        checkpoint()
    assert AuditChainHead.objects.get().sequence == 5
