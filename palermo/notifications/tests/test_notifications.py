"""Notifications: stored for the recipient only, emailed once after commit, no personal data."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client

from palermo.accounts.roles import Role
from palermo.notifications.kinds import register_kind, text_for
from palermo.notifications.models import Notification
from palermo.notifications.services import mark_all_read, notify
from palermo.testing import member, signed_in_client

pytestmark = pytest.mark.django_db(transaction=True)

register_kind("test.ping", "Test %(reference)s is waiting.")


def _send(users, reference="R-1234ABCD", url="/people/"):
    return notify(
        recipients=users,
        kind="test.ping",
        object_type="referral",
        object_id="00000000-0000-0000-0000-000000000001",
        reference=reference,
        url=url,
    )


def test_each_recipient_gets_one_notification_and_one_email_after_commit() -> None:
    a = member(Role.CASE_WORKER, email="a@example.org")
    b = member(Role.CASE_WORKER, email="")
    with transaction.atomic():
        created = _send([a.user, a.user, b.user])
        assert len(created) == 2
        assert mail.outbox == []  # nothing leaves before the change is committed
    assert Notification.objects.filter(recipient=a.user).count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a@example.org"]
    assert "R-1234ABCD" in message.subject
    assert "/people/" in message.body
    assert Notification.objects.get(recipient=a.user).emailed_at is not None


def test_a_rolled_back_change_notifies_nobody() -> None:
    a = member(Role.CASE_WORKER, email="a@example.org")
    with pytest.raises(RuntimeError), transaction.atomic():
        _send([a.user])
        raise RuntimeError("the change failed")
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_the_email_is_in_the_recipients_language() -> None:
    register_kind("test.ukr", "Test %(reference)s is waiting.")
    a = member(Role.CASE_WORKER, email="a@example.org", preferred_language="uk")
    _send([a.user])
    assert "Palermo" in mail.outbox[0].subject
    # The fixed sentence about personal data is translated (catalogs are compiled in make test).
    assert "personal details on purpose" not in mail.outbox[0].body


def test_inactive_users_and_unknown_kinds() -> None:
    a = member(Role.CASE_WORKER, is_active=False)
    assert _send([a.user]) == []
    with pytest.raises(ValueError, match="unknown notification kind"):
        notify(
            recipients=[a.user],
            kind="nobody.registered.this",
            object_type="x",
            object_id="1",
            reference="X",
            url="/",
        )
    with pytest.raises(ValueError, match="too long"):
        _send([member().user], url="/" + "x" * 300)


def test_the_page_shows_only_my_notifications_and_opening_marks_read() -> None:
    mine = member(Role.CASE_WORKER)
    theirs = member(Role.CASE_WORKER)
    _send([mine.user], reference="R-MINE0001", url="/cases/")
    other = _send([theirs.user], reference="R-THEIRS01")[0]
    client = signed_in_client(mine)
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert b"R-MINE0001" in page.content
    assert b"R-THEIRS01" not in page.content
    # The unread count is in the header of every page.
    assert b'class="badge count"' in page.content
    own = Notification.objects.get(recipient=mine.user)
    response = client.post(f"/notifications/{own.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/cases/"
    own.refresh_from_db()
    assert own.read_at is not None
    # Someone else's notification does not exist for me.
    assert client.post(f"/notifications/{other.pk}/open/").status_code == 404
    other.refresh_from_db()
    assert other.read_at is None
    assert client.get("/notifications/open/x/").status_code == 404
    assert client.get(f"/notifications/{own.pk}/open/").status_code == 405


def test_read_all_and_the_api() -> None:
    mine = member(Role.SERVICE_PROVIDER)
    theirs = member(Role.CASE_WORKER)
    _send([mine.user], reference="R-00000001")
    _send([mine.user], reference="R-00000002")
    other = _send([theirs.user])[0]
    client = signed_in_client(mine)
    body = client.get("/api/notifications/?unread=true").json()
    assert body["unread"] == 2 and body["count"] == 2
    assert {i["reference"] for i in body["items"]} == {"R-00000001", "R-00000002"}
    assert body["items"][0]["text"] == text_for("test.ping", body["items"][0]["reference"])
    first = body["items"][0]["id"]
    assert client.post(f"/api/notifications/{first}/read").status_code == 204
    assert client.post(f"/api/notifications/{other.pk}/read").status_code == 404
    assert client.get("/api/notifications/?page=0").status_code == 400
    assert client.post("/api/notifications/read-all").json() == {"marked": 1}
    assert mark_all_read(user=mine.user) == 0
    assert Client().get("/api/notifications/").status_code == 401
    page = client.post("/notifications/read-all/")
    assert page.status_code == 302
