"""A first guess at the language of a short text message (pure: no Django import).

Good enough to answer a first SMS in the sender's language: the script decides for Cyrillic
and Devanagari, then diacritics and common short words for the Latin-script languages. It
answers None when unsure, and the channel's default language applies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# Letters found in one language only, among those Palermo is translated into.
_MARKS = {
    "uk": set("іїєґ"),
    "ro": set("ășțâî"),
    "pt": set("ãõ"),
    "es": set("ñ¿¡"),
    "fr": set("èêëœùûÿ"),
}
_WORDS = {
    "en": {"the", "and", "is", "my", "help", "please", "i", "am", "you", "we", "they", "not"},
    "es": {"el", "la", "los", "las", "y", "es", "mi", "ayuda", "por", "favor", "que", "estoy"},
    "pt": {"o", "os", "as", "e", "não", "meu", "minha", "ajuda", "obrigado", "estou", "você"},
    "fr": {"le", "les", "et", "est", "mon", "ma", "aide", "je", "suis", "vous", "nous", "pas"},
    "ro": {"și", "si", "este", "nu", "ajutor", "eu", "sunt", "vă", "rog", "meu", "mea", "un"},
    "uk": {"я", "не", "допоможіть", "будь", "ласка", "мене", "мені", "що", "як", "ми"},
}


_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LETTER = re.compile(r"[^\W\d_]")
_MARK_PATTERNS = {
    code: re.compile("[" + "".join(sorted(marks)) + "]") for code, marks in _MARKS.items()
}


def guess_language(text: str, available: Iterable[str]) -> str | None:
    """The most likely of the `available` language codes for `text`, or None."""
    choices = {code.split("-")[0].lower() for code in available}
    lowered = text.lower()
    letters = len(_LETTER.findall(lowered))
    if not letters:
        return None
    if len(_CYRILLIC.findall(lowered)) * 2 >= letters:
        if "uk" in choices and (_MARK_PATTERNS["uk"].search(lowered) or "ru" not in choices):
            return "uk"
        return "ru" if "ru" in choices else None
    words = _WORD.findall(lowered)
    scores: dict[str, float] = {}
    for code in choices:
        pattern = _MARK_PATTERNS.get(code)
        score = 1.5 * len(pattern.findall(lowered)) if pattern is not None else 0.0
        vocabulary = _WORDS.get(code)
        if vocabulary:
            score += sum(1 for word in words if word in vocabulary)
        if score:
            scores[code] = score
    if not scores:
        return None
    best = max(scores.values())
    leaders = [code for code, score in scores.items() if score == best]
    return leaders[0] if len(leaders) == 1 else None
