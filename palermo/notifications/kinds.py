"""What each kind of notification says, registered by the app that sends it.

Texts are lazy translations with a `%(reference)s` placeholder, rendered in the reader's
language when shown (and in the recipient's preferred language in email).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

_KINDS: dict[str, Any] = {}
FALLBACK = _("Something about %(reference)s needs your attention.")


def register_kind(kind: str, text: Any) -> None:
    """Declare a notification kind and its text (a lazy translation with %(reference)s)."""
    _KINDS[kind] = text


def text_for(kind: str, reference: str) -> str:
    template = _KINDS.get(kind, FALLBACK)
    return str(template) % {"reference": reference}


def is_registered(kind: str) -> bool:
    return kind in _KINDS
