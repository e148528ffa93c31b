"""The three welfare questions, as travellers and operators read them (the rule is in rules.py).

After the ILO indicators of forced labour: retention of identity documents, withholding of
wages, restriction of movement.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .rules import WELFARE_KEYS

WELFARE_QUESTIONS = {
    "holds_passport": _("Do you hold your own passport or identity document?"),
    "paid_as_promised": _("Have you been paid as promised?"),
    "free_to_leave": _("Can you leave your work or home when you want?"),
}
WELFARE_ANSWER_LABELS = {"yes": _("Yes"), "no": _("No"), "skip": _("I'd rather not say")}

assert tuple(WELFARE_QUESTIONS) == WELFARE_KEYS  # noqa: S101 - one list of questions
