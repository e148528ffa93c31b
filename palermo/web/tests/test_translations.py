"""Every UI string is translatable and translated into every UI language."""

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings

REPO = Path(settings.BASE_DIR)
LOCALE_DIR = REPO / "palermo" / "locale"
UI_LANGUAGES = [code for code, _ in settings.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]")


def catalog(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", UI_LANGUAGES)
def test_catalog_is_complete_and_keeps_placeholders(language):
    po = catalog(language)
    assert not po.untranslated_entries(), [e.msgid for e in po.untranslated_entries()][:10]
    assert not [e for e in po.fuzzy_entries()], "fuzzy entries left"
    for entry in po.translated_entries():
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            found = sorted(PLACEHOLDER.findall(text))
            # A plural form may leave out the count ("one event") but never invent a name.
            assert set(found) <= set(expected + PLACEHOLDER.findall(entry.msgid_plural or "")), (
                language,
                entry.msgid,
                text,
            )


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is installed by make test")
def test_every_marked_string_in_the_code_is_in_the_catalogs(tmp_path, monkeypatch):
    """Extract afresh (as `makemessages` would) and compare with the committed catalogs."""
    monkeypatch.chdir(REPO)
    with override_settings(LOCALE_PATHS=[str(tmp_path)]):
        call_command(
            "makemessages",
            locale=["fr"],
            verbosity=0,
            no_obsolete=True,
            ignore_patterns=[
                ".venv",
                "node_modules",
                "*/tests/*",
                "tests",
                "var",
                "locale",
                "bench",
                "docs",
            ],
        )
    fresh = polib.pofile(str(tmp_path / "fr" / "LC_MESSAGES" / "django.po"))
    for language in UI_LANGUAGES:
        known = {(e.msgctxt, e.msgid) for e in catalog(language) if e.translated()}
        missing = [e.msgid for e in fresh if (e.msgctxt, e.msgid) not in known]
        assert not missing, f"{language}: run `make extract-messages` and translate: {missing[:10]}"


@pytest.mark.django_db
@pytest.mark.parametrize("language", UI_LANGUAGES)
def test_sign_in_page_is_served_in_each_language(language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    body = client.get("/accounts/login/").content.decode()
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/login/").content.decode()
    assert f'<html lang="{language}"' in body
    assert "Skip to main content" in english
    assert "Skip to main content" not in body
