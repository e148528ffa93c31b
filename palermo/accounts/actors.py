"""The Actor: who is acting, for which organisation, in which role, for what purpose.

Every service and selector takes an actor; pages build it from the session, the API from
the session or a token, commands use `Actor.system`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .roles import Perm, Purpose, Role, role_can, role_field_groups

if TYPE_CHECKING:
    from .models import ApiToken, Organisation, User


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
        if self.user is not None:
            suffix = f" (token {self.token.prefix})" if self.token is not None else ""
            return f"{self.user.username}{suffix}"
        return self.system_label or "system"

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
