"""`palermo serve`: serve Palermo with gunicorn, the production WSGI server.

Static files are served by WhiteNoise from STATIC_ROOT, so run `palermo collectstatic` first
(`make demo` does). Behind a reverse proxy that terminates TLS, bind to 127.0.0.1 and let
the proxy forward; see the operator's guide.
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from gunicorn.app.base import BaseApplication


class PalermoServer(BaseApplication):
    """gunicorn configured from this command's options instead of its own command line."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        # gunicorn 24+ also listens on a control socket in $HOME; Palermo does not use it, and a
        # second server on the machine would fight over it.
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Any:
        from config.wsgi import application

        return application


class Command(BaseCommand):
    help = "Serve Palermo with gunicorn (config.wsgi:application)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--insecure-demo",
            action="store_true",
            help="allow the development settings (a demo on this machine only)",
        )
        parser.add_argument(
            "--bind", default="127.0.0.1:8000", help="host:port to listen on (127.0.0.1:8000)"
        )
        parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
        parser.add_argument(
            "--timeout", type=int, default=60, help="seconds before a stuck worker is restarted"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SETTINGS_MODULE == "config.settings.dev" and not (
            options["insecure_demo"] or os.environ.get("PALERMO_DEMO") == "1"
        ):
            raise CommandError(
                "These are the development settings (a well-known secret key, keys in var/): "
                "set DJANGO_SETTINGS_MODULE=config.settings.production, or pass --insecure-demo."
            )
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1.")
        bind: str = options["bind"]
        # The workers are forked from this process: they must not share its connections.
        connections.close_all()
        self.stdout.write(
            self.style.SUCCESS(f"Palermo is serving on http://{bind}/") + " (Ctrl+C stops it)"
        )
        self.stdout.flush()
        PalermoServer(
            {
                "bind": [bind],
                "workers": options["workers"],
                "threads": options["threads"],
                "worker_class": "gthread",
                "timeout": options["timeout"],
                "graceful_timeout": 10,
                "accesslog": "-",
                # Path without the query string: searches carry names and phone numbers.
                "access_log_format": '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms',
                "errorlog": "-",
                "proc_name": "palermo",
            }
        ).run()
