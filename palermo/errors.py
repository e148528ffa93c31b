"""The one error type of Palermo's services, and the one shape every interface gives it.

Services raise ApplicationError with a stable code, a translated message and, for bad
input, the fields concerned. The API renders it as {"error": {"code", "message", "fields"}};
pages show the message next to the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    status = 400

    def __init__(
        self,
        message: Any,
        *,
        code: str = "invalid",
        fields: Mapping[str, list[Any]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.fields = {k: list(v) for k, v in (fields or {}).items()}
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": str(self.message),
                "fields": {k: [str(m) for m in v] for k, v in self.fields.items()},
            }
        }


class NotFound(ApplicationError):
    """The record does not exist or the actor may not know that it does: always 404."""

    status = 404

    def __init__(self) -> None:
        super().__init__(_("Not found."), code="not_found")


class Forbidden(ApplicationError):
    """The actor may not perform an action that is not about a specific record."""

    status = 403

    def __init__(self, message: Any = None) -> None:
        super().__init__(message or _("You do not have permission to do this."), code="forbidden")


def invalid(fields: Mapping[str, list[Any]], message: Any = None) -> ApplicationError:
    return ApplicationError(
        message or _("Some fields need attention."), code="invalid", fields=fields
    )
