"""The `palermo` command: Django's management commands, with Palermo's own listed first.

`palermo --help` shows Palermo's commands grouped by module; every other Django command
(migrate, runserver, check …) works as with manage.py.
"""

from __future__ import annotations

import os
import sys

PALERMO_COMMANDS: dict[str, list[tuple[str, str]]] = {
    "Set-up and operations": [
        ("init-keys", "create the key file for personal-data encryption (never overwrites)"),
        ("add-key", "add a fresh encryption key to the key file and make it active"),
        ("rotate-keys", "re-encrypt every personal field and encrypted file with the active key"),
        ("demo-data", "load deterministic multi-country demo data (--size small|large|N)"),
        ("worker", "run background tasks and periodic jobs; rides out database outages"),
        ("serve", "serve Palermo with the production server (gunicorn)"),
    ],
    "Accounts": [
        ("create-token", "create an API token for a user's organisation and a purpose"),
        ("reset-second-factor", "remove a user's authenticator and reopen enrolment for 7 days"),
    ],
    "Audit": [
        ("audit", "audit verify | checkpoint: prove the log intact; anchor its end outside the DB"),
    ],
    "Identification": [
        ("screening", "screening instruments | assess --instrument ID --answers FILE.json"),
    ],
    "Intake channels": [
        ("channel", "SMS channels: create (prints the UUID), list, deactivate, replay-spool"),
    ],
    "Intake": [
        ("intake", "campaign-create | campaigns | replay-tips | extraction-report"),
    ],
    "Cases": [
        ("cases", "cases lifecycle [--json] | check-all | remind: the rules in force; notices now"),
    ],
    "Safe travel": [
        ("travel", "travel tick [--now ISO8601]: one scheduler cycle | purge | status | seed"),
    ],
    "Transnational referral": [
        ("partner", "keys [--init] | add --name --url --public-key | list | (de)activate | remove"),
    ],
}


def _help() -> str:
    lines = [
        "usage: palermo <command> [options]",
        "",
        "Palermo: the counter-trafficking coalition's shared workspace.",
        "",
    ]
    for section, commands in PALERMO_COMMANDS.items():
        lines.append(f"{section}:")
        lines.extend(f"  {name:<14} {text}" for name, text in commands)
        lines.append("")
    lines.append("Every Django command works too (migrate, runserver, check, …):")
    lines.append("  palermo help --commands   lists them all; palermo <command> --help for one.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    # The command line defaults to the development settings so that `make demo` and a fresh
    # checkout work without any environment; production sets DJANGO_SETTINGS_MODULE (and the
    # WSGI/ASGI entry points default to production). `palermo serve` refuses these
    # settings unless told it is a demo (--insecure-demo, or PALERMO_DEMO=1 from `make demo`).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(_help())
        return 0
    from django.core.management import execute_from_command_line

    argv[0] = "palermo"
    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
