"""The servers' entry points never fall back to the development settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import os
try:
    import {module}
except Exception as exc:
    print("refused:", type(exc).__name__, exc)
else:
    print("started")
print("settings:", os.environ["DJANGO_SETTINGS_MODULE"])
"""


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_a_server_without_settings_gets_production_and_refuses_without_a_secret(module):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY"}
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "settings: config.settings.production" in result.stdout, result.stderr[-2000:]
    assert "refused: ImproperlyConfigured DJANGO_SECRET_KEY must be set" in result.stdout
