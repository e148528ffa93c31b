"""`{% open_case_link person=… %}`: the "Open a case" link other apps' pages show.

Renders nothing for an actor the rules in force do not let refer persons, so the pages of the
person, the screening and the hotline contact need no knowledge of the lifecycle.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from palermo.cases.lifecycle import lifecycle_in_force

register = template.Library()


@register.simple_tag(takes_context=True)
def open_case_link(context: Any, **source: Any) -> SafeString | str:
    """A link to the open-case form for `person`, `screening`, `contact` or `situation`."""
    actor = context.get("actor")
    if actor is None or actor.organisation is None or not lifecycle_in_force().may_open(actor):
        return ""
    params = {
        k: str(v)
        for k, v in source.items()
        if v and k in ("person", "screening", "contact", "situation")
    }
    url = reverse("cases:open") + ("?" + urlencode(params) if params else "")
    return format_html(
        '<a class="button secondary" id="open-case" href="{}">{}</a>', url, _("Open a case")
    )
