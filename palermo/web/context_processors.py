"""What every page's layout needs: the navigation the actor may use, and the active membership."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from palermo.accounts.roles import ROLE_LABELS

from .navigation import nav_items


def navigation(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    if actor is None:
        return {"nav_items": [], "actor": None}
    items = []
    for item in nav_items():
        if item.permission is None or actor.can(item.permission):
            url = reverse(item.url_name)
            current = request.path == url or (url != "/" and request.path.startswith(url))
            items.append({"url": url, "label": item.label, "current": current})
    return {
        "nav_items": items,
        "actor": actor,
        "actor_role_label": ROLE_LABELS.get(actor.role, "") if actor.role else "",
    }
