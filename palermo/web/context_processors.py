"""What every page's layout needs: the navigation the actor may use, and the active membership."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from palermo.accounts.roles import ROLE_LABELS, Perm

# (url name, label, permission needed or None for anyone signed in)
NAVIGATION: list[tuple[str, Any, Perm | None]] = [
    ("web:home", _("Home"), None),
    ("people:list", _("People"), Perm.PERSON_VIEW),
    ("audit:list", _("Audit log"), Perm.AUDIT_VIEW),
    ("accounts:tokens", _("API tokens"), Perm.TOKEN_MANAGE),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    if actor is None:
        return {"nav_items": [], "actor": None}
    items = []
    for url_name, label, permission in NAVIGATION:
        if permission is None or actor.can(permission):
            url = reverse(url_name)
            current = request.path == url or (url != "/" and request.path.startswith(url))
            items.append({"url": url, "label": label, "current": current})
    return {
        "nav_items": items,
        "actor": actor,
        "actor_role_label": ROLE_LABELS.get(actor.role, "") if actor.role else "",
    }
