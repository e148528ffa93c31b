"""Who is signed in, read in one query for every signed-in request.

Each request needs the user (Django's authentication backend), the authenticator device the
session was verified with (django_otp's middleware) and the memberships the user may act for
(the actor). Three ORM queries cost ~3 ms of CPU per request; this one costs ~0.2 ms (see
palermo.fastsql). Nothing is kept between requests: a deactivated user, a removed device or
membership, or a deactivated organisation takes effect on the next request, as before.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from palermo.fastsql import build_row, column, quoted, rows, selected, table

from .models import Membership, Organisation, User

# Set on the user this module loads; read by SignedInOTPMiddleware and session_membership.
DEVICES_ATTRIBUTE = "_signin_totp_devices"
MEMBERSHIPS_ATTRIBUTE = "_signin_memberships"


@cache
def _sql(vendor: str) -> str:
    user, device = selected(User, "u"), selected(TOTPDevice, "d")
    membership, organisation = selected(Membership, "m"), selected(Organisation, "o")
    u, d, m, o = (quoted(a) for a in ("u", "d", "m", "o"))
    user_id = f"{u}.{column(User, 'id')}"
    return (
        f"SELECT {user.sql()}, {device.sql()}, {membership.sql()}, {organisation.sql()} "  # noqa: S608 - from model metadata
        f"FROM {table(User)} {u} "
        f"LEFT JOIN {table(TOTPDevice)} {d} ON {d}.{column(TOTPDevice, 'user')} = {user_id} "
        f"AND {d}.{column(TOTPDevice, 'confirmed')} = %s "
        f"LEFT JOIN {table(Membership)} {m} ON {m}.{column(Membership, 'user')} = {user_id} "
        f"AND {m}.{column(Membership, 'organisation')} IN (SELECT {column(Organisation, 'id')} "
        f"FROM {table(Organisation)} WHERE {column(Organisation, 'is_active')} = %s) "
        f"LEFT JOIN {table(Organisation)} {o} ON {o}.{column(Organisation, 'id')} = "
        f"{m}.{column(Membership, 'organisation')} "
        f"WHERE {user_id} = %s "
        # Membership's own ordering (Meta.ordering: organisation name, role), in the database's
        # collation as the ORM would sort it.
        f"ORDER BY {o}.{column(Organisation, 'name')}, {m}.{column(Membership, 'role')}, "
        f"{m}.{column(Membership, 'id')}, {d}.{column(TOTPDevice, 'id')}"
    )


def signed_in_user(user_id: Any) -> User | None:
    """The user with their confirmed TOTP devices (by id) and their memberships of active
    organisations (in Membership's ordering, each with its organisation), or None."""
    try:
        key = int(user_id)
    except (TypeError, ValueError):
        return None
    found = rows(_sql(connection.vendor), [True, True, key])
    if not found:
        return None
    parts = (selected(User, "u"), selected(TOTPDevice, "d"), selected(Membership, "m"),
             selected(Organisation, "o"))  # fmt: skip
    user = build_row(parts, found[0])[0]
    assert isinstance(user, User)  # noqa: S101 - the WHERE found it
    devices: dict[int, TOTPDevice] = {}
    memberships: dict[int, Membership] = {}
    # One row per (device, membership) pair: each is kept once, in the rows' order.
    for row in found:
        _user, device, membership, organisation = build_row(parts, row)
        if isinstance(device, TOTPDevice) and device.pk not in devices:
            device.user = user
            devices[device.pk] = device
        if isinstance(membership, Membership) and membership.pk not in memberships:
            assert isinstance(organisation, Organisation)  # noqa: S101 - joined on it
            membership.user = user
            membership.organisation = organisation
            memberships[membership.pk] = membership
    setattr(user, DEVICES_ATTRIBUTE, devices)
    setattr(user, MEMBERSHIPS_ATTRIBUTE, list(memberships.values()))
    return user


def prefetched_devices(user: Any) -> dict[int, TOTPDevice] | None:
    return getattr(user, DEVICES_ATTRIBUTE, None)


def prefetched_memberships(user: Any) -> list[Membership] | None:
    return getattr(user, MEMBERSHIPS_ATTRIBUTE, None)
