"""The authentication backend: Django's ModelBackend, with the signed-in user read together
with their devices and memberships (palermo.accounts.signin)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from .signin import signed_in_user


class SignInBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        user = signed_in_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


# What login() records in the session; settings.AUTHENTICATION_BACKENDS names the same.
BACKEND_PATH = f"{SignInBackend.__module__}.{SignInBackend.__qualname__}"
