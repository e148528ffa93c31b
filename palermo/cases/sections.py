"""Registries that let other apps add to the case page and to the dashboard.

The case page shows the case's own facts (stage, deadlines, decisions) and then the sections
that other apps register here (the case file's content, the referrals), each rendered by its
own template with context its own selector builds, so access checks stay with the app that
owns the data. The dashboard works the same way with panels. Apps register in
AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from palermo.accounts.actors import Actor

    from .models import Case


@dataclass(frozen=True)
class CaseSection:
    name: str
    template: str
    # (request, actor, case) → the template's context, or None to leave the section out.
    context: Callable[[HttpRequest, Actor, Case], dict[str, Any] | None]
    order: int


@dataclass(frozen=True)
class DashboardPanel:
    name: str
    template: str
    # (request, actor) → the template's context, or None to leave the panel out.
    context: Callable[[HttpRequest, Actor], dict[str, Any] | None]
    order: int


_CASE_SECTIONS: dict[str, CaseSection] = {}
_DASHBOARD_PANELS: dict[str, DashboardPanel] = {}


def register_case_section(
    name: str,
    template: str,
    context: Callable[[HttpRequest, Actor, Case], dict[str, Any] | None],
    order: int,
) -> None:
    _CASE_SECTIONS[name] = CaseSection(name, template, context, order)


def register_dashboard_panel(
    name: str,
    template: str,
    context: Callable[[HttpRequest, Actor], dict[str, Any] | None],
    order: int,
) -> None:
    _DASHBOARD_PANELS[name] = DashboardPanel(name, template, context, order)


def case_sections() -> list[CaseSection]:
    return sorted(_CASE_SECTIONS.values(), key=lambda s: (s.order, s.name))


def dashboard_panels() -> list[DashboardPanel]:
    return sorted(_DASHBOARD_PANELS.values(), key=lambda p: (p.order, p.name))
