"""The Actor: who is acting, for which organisation, in which role, for what purpose.

Every service and selector takes an actor; pages build it from the session, the API from
the session or a token, commands use `Actor.system`.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .roles import Perm, Purpose, Role, role_can, role_field_groups

if TYPE_CHECKING:
    from .models import ApiToken, Organisation, User


LABEL_MAX_LENGTH = 150  # AuditEvent.actor_label
_LABEL_PART = 55  # a username or a creator inside a token's label: two fit with the rest


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Actor:
    user: User | None
    organisation: Organisation | None
    role: Role | None
    purpose: str
    token: ApiToken | None = None
    system_label: str = field(default="")

    @property
    def label(self) -> str:
        """How the audit log names the actor (at most `LABEL_MAX_LENGTH` characters).

        A token names its creator too, so that what a token did can be traced to who made it.
        """
        if self.user is not None:
            if self.token is None:
                return _shorten(self.user.username, LABEL_MAX_LENGTH)
            creator = _shorten(self.token.created_by_label or "unknown", _LABEL_PART)
            return (
                f"{_shorten(self.user.username, _LABEL_PART)} "
                f"(token {self.token.prefix}, created by {creator})"
            )
        return _shorten(self.system_label or "system", LABEL_MAX_LENGTH)

    @property
    def organisation_id(self) -> int | None:
        return self.organisation.pk if self.organisation is not None else None

    def can(self, permission: Perm) -> bool:
        return role_can(self.role, permission)

    def field_groups(self) -> frozenset[str]:
        return frozenset(str(g) for g in role_field_groups(self.role))

    @classmethod
    def system(cls, label: str, purpose: str = Purpose.ADMINISTRATION) -> Actor:
        return cls(user=None, organisation=None, role=None, purpose=purpose, system_label=label)

    @classmethod
    def operator(cls, command: str) -> Actor:
        """An operator's command on the server, named after the account that runs it."""
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no login name and no passwd entry (some containers)
            name = "unknown"
        return cls.system(f"operator {name[:60]} (command {command})")
