"""What every page's layout needs: the navigation the actor may use, and the active membership."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from palermo.accounts.roles import ROLE_LABELS

from .navigation import nav_items

# Where the result is kept on the request: pages that render parts with the request (the case
# page renders every section with `render_to_string(..., request)`) would otherwise run this,
# and its unread-notifications count, once per part.
_CACHE_ATTRIBUTE = "_palermo_navigation"


def navigation(request: HttpRequest) -> dict[str, Any]:
    cached = getattr(request, _CACHE_ATTRIBUTE, None)
    if cached is not None and cached[0] is getattr(request, "actor", None):
        return dict(cached[1])
    result = _navigation(request)
    setattr(request, _CACHE_ATTRIBUTE, (getattr(request, "actor", None), result))
    return dict(result)


def _navigation(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    if actor is None:
        return {"nav_items": [], "actor": None}
    items = []
    for item in nav_items():
        if item.permission is None or actor.can(item.permission):
            url = reverse(item.url_name)
            items.append({"url": url, "label": item.label, "current": False})
    # The entry whose address is the longest prefix of the page's is the current one (so
    # /cases/dashboard/ marks "Dashboard", not "Cases" too).
    path = request.path
    matching = [
        i for i in items if path == i["url"] or (i["url"] != "/" and path.startswith(i["url"]))
    ]
    if matching:
        max(matching, key=lambda i: len(i["url"]))["current"] = True
    unread = 0
    if actor.user is not None:
        from palermo.notifications.selectors import unread_count

        unread = unread_count(actor.user)
    from palermo.accounts.selectors import may_switch_membership

    return {
        "may_switch_membership": may_switch_membership(request),
        "nav_items": items,
        "unread_notifications": unread,
        "actor": actor,
        "actor_role_label": ROLE_LABELS.get(actor.role, "") if actor.role else "",
    }
