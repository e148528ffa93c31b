"""The main navigation, as a registry: each app adds its own entries in AppConfig.ready().

Keeps apps from editing one shared list; the layout shows an entry only to actors whose role
holds its permission.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from palermo.accounts.roles import Perm


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: Any  # a lazy translation
    permission: Perm | None  # None: anyone signed in
    order: int


_ITEMS: dict[str, NavItem] = {}


def register_nav(url_name: str, label: Any, permission: Perm | None, order: int) -> None:
    """Add (or replace) an entry; lower `order` comes first."""
    _ITEMS[url_name] = NavItem(url_name, label, permission, order)


def nav_items() -> list[NavItem]:
    return sorted(_ITEMS.values(), key=lambda item: (item.order, item.url_name))
