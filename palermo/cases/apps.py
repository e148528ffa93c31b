from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# How often the worker looks for deadlines to remind of (each is notified once, whatever this is).
NOTICES_EVERY = timedelta(minutes=15)


class CasesConfig(AppConfig):
    name = "palermo.cases"
    label = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from palermo.accounts.roles import Perm
        from palermo.notifications.services import register_kind
        from palermo.web.navigation import register_nav
        from palermo.worker.periodic import register_periodic

        register_nav("cases:dashboard", _("Dashboard"), Perm.CASE_VIEW, 10)
        register_nav("cases:list", _("Cases"), Perm.CASE_VIEW, 35)
        register_periodic(
            "case-deadline-notices",
            every=NOTICES_EVERY,
            task_path="palermo.cases.tasks.deadline_notices",
        )
        register_kind("case.deadline_soon", _("A deadline of case %(reference)s is near."))
        register_kind("case.deadline_overdue", _("A deadline of case %(reference)s has passed."))
        register_kind(
            "case.period_ending", _("The recovery period of case %(reference)s ends soon.")
        )
        register_kind(
            "case.period_ended",
            _("The recovery period of case %(reference)s has ended: the decision can be taken."),
        )
        register_kind(
            "case.decision_requested", _("Case %(reference)s is waiting for your decision.")
        )
        register_kind("case.decided", _("A decision was recorded on case %(reference)s."))
        register_kind("case.assigned", _("Case %(reference)s was assigned to you."))
