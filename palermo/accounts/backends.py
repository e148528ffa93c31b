"""The authentication backend: Django's ModelBackend, with the signed-in user read together
with their devices and memberships (palermo.accounts.signin)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from .signin import signed_in_user

BACKEND_PATH = "palermo.accounts.backends.SignInBackend"


class SignInBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        user = signed_in_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
