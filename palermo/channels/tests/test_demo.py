"""The demo channels and threads load through the real ingestion path, deterministically."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from palermo.channels import demo
from palermo.channels.models import Channel, Conversation, Direction, Message
from palermo.testing import OrganisationFactory

pytestmark = pytest.mark.django_db


def _context(seed: int = 2000) -> SimpleNamespace:
    organisations = {
        "hotline": OrganisationFactory(name="Drum Sigur Hotline", country="MD"),
        "ng_ngo": OrganisationFactory(name="Ireti Women's Initiative", country="NG"),
    }
    return SimpleNamespace(
        seed=seed, size=300, organisations=organisations, users={}, progress=None
    )


def test_load_demo_makes_channels_threads_and_replies() -> None:
    context = _context()
    counts = demo.load_demo(context)
    assert counts["sms channels"] == 3
    assert Channel.objects.count() == 3
    assert set(Channel.objects.values_list("type", flat=True)) == {
        "generic",
        "twilio",
        "africastalking",
    }
    inbound = Message.objects.filter(direction=Direction.INBOUND)
    assert inbound.count() == counts["sms messages received"] > 30
    assert Conversation.objects.count() == counts["sms conversations"] >= 12
    # One automatic reply per conversation, delivered or failed by the simulated reports.
    replies = Message.objects.filter(direction=Direction.OUTBOUND)
    assert replies.count() == Conversation.objects.count()
    assert set(replies.values_list("status", flat=True)) <= {"delivered", "failed"}
    texts = sorted(str(m.text) for m in inbound)
    # Loading again adds nothing (same ids: stored once).
    again = demo.load_demo(context)
    assert again["sms messages received"] == 0
    assert sorted(str(m.text) for m in Message.objects.filter(direction="in")) == texts


def test_reset_demo_removes_the_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    context = _context()
    demo.load_demo(context)
    monkeypatch.setattr(
        "palermo.demo.loader.demo_organisations", lambda: list(context.organisations.values())
    )
    demo.reset_demo()
    assert Message.objects.count() == 0 and Conversation.objects.count() == 0
    assert Channel.objects.count() == 3
