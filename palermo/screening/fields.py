"""An encrypted JSON column: screening answers and assessments describe a person.

The vault has text, date and decimal fields; this adds JSON on the same envelope (AES-GCM with
the table and column as associated data), so `palermo rotate-keys` re-encrypts it like the rest.
"""

from __future__ import annotations

import json
from typing import Any

from palermo.vault.fields import EncryptedField


class EncryptedJSONField(EncryptedField):
    description = "Encrypted JSON"
    # For django-stubs: the Python value is any JSON structure, not the text of a TextField.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def to_text(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def from_text(self, text: str) -> Any:
        return json.loads(text)

    def to_python(self, value: Any) -> Any:
        # Values in Python are already structures; only stored text is parsed (from_db_value).
        return value
