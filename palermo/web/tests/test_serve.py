import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings


@override_settings(SETTINGS_MODULE="config.settings.dev")
def test_serve_refuses_the_development_settings_without_the_demo_flag(monkeypatch):
    monkeypatch.delenv("PALERMO_DEMO", raising=False)
    with pytest.raises(CommandError, match="development settings"):
        call_command("serve")


@override_settings(SETTINGS_MODULE="config.settings.dev")
def test_serve_checks_its_own_options_once_the_demo_flag_is_given():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("serve", "--insecure-demo", "--workers", "0")
