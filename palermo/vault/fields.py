"""Model fields whose values are stored encrypted, and the blind-index helpers that go with them.

An encrypted column holds an AES-GCM envelope (see ciphers.py). Such a column cannot be
filtered or ordered on: exact search goes through a blind-index column next to it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core import checks
from django.db import models

from . import ciphers
from .blind_index import digest
from .keys import index_key, keyring


class EncryptedField(models.TextField):
    """Base for encrypted fields: subclasses convert their Python value to and from text."""

    description = "Encrypted text"

    def to_text(self, value: Any) -> str:
        return str(value)

    def from_text(self, text: str) -> Any:
        return text

    def associated_data(self) -> str:
        return f"{self.model._meta.db_table}.{self.column}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return None
        return self.from_text(ciphers.decrypt(keyring(), value, self.associated_data()))

    def to_python(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            return self.from_text(value)
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None or value == "":
            return None
        return ciphers.encrypt(keyring(), self.to_text(value), self.associated_data())

    def get_lookup(self, lookup_name: str) -> Any:
        # Only null checks make sense on ciphertext; anything else would silently match nothing.
        # Returning None makes the ORM raise FieldError("Unsupported lookup ...").
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name: str) -> Any:
        # No transforms either (lower, unaccent …): they would compare ciphertext too.
        return None

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if self.db_index or self.unique:  # type: ignore[attr-defined]  # missing from the stubs
            errors.append(checks.Error("Encrypted fields cannot be indexed.", obj=self))
        return errors


class EncryptedTextField(EncryptedField):
    pass


class EncryptedDateField(EncryptedField):
    description = "Encrypted date"

    def to_text(self, value: Any) -> str:
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, str):
            value = datetime.date.fromisoformat(value)
        return str(value.isoformat())

    def from_text(self, text: str) -> datetime.date:
        return datetime.date.fromisoformat(text)

    def formfield(
        self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any
    ) -> Any:
        from django import forms

        return (form_class or forms.DateField)(**{"required": not self.blank, **kwargs})


class EncryptedDecimalField(EncryptedField):
    description = "Encrypted decimal number"

    def from_text(self, text: str) -> Decimal:
        return Decimal(text)


def blind_index(domain: str, normalised: str) -> str:
    """The blind index of an already normalised value ('' for an empty value)."""
    return digest(index_key(), domain, normalised)


def encrypted_field_names(model: type[models.Model]) -> list[str]:
    """Names of a model's encrypted fields."""
    return [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]
