"""The remote copy of the checkpoints: a syslog handler configured from one setting."""

from __future__ import annotations

import logging
import logging.config
import socket
from collections.abc import Iterator

import pytest

from palermo.audit.anchor_syslog import AnchorSyslogHandler, syslog_address


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("udp://logs.example.org:5514", (("logs.example.org", 5514), socket.SOCK_DGRAM)),
        ("udp://10.0.0.5", (("10.0.0.5", 514), socket.SOCK_DGRAM)),
        ("tcp://logs.example.org:601", (("logs.example.org", 601), socket.SOCK_STREAM)),
        ("/dev/log", ("/dev/log", socket.SOCK_DGRAM)),
    ],
)
def test_targets(target: str, expected: object) -> None:
    assert syslog_address(target) == expected


@pytest.mark.parametrize(
    "target", ["logs.example.org:514", "http://logs", "udp://", "udp://h:notaport", "udp://h/x"]
)
def test_a_mistyped_target_stops_the_start(target: str) -> None:
    with pytest.raises(ValueError, match="syslog target"):
        syslog_address(target)


@pytest.fixture
def receiver() -> Iterator[socket.socket]:
    listening = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listening.bind(("127.0.0.1", 0))
    listening.settimeout(5)
    yield listening
    listening.close()


def test_checkpoints_logged_reach_the_syslog_server(receiver: socket.socket) -> None:
    """The handler built from the entry base.py adds for PALERMO_AUDIT_ANCHOR_SYSLOG (built
    by logging's own configurator, without touching the process's logging set-up)."""
    port = receiver.getsockname()[1]
    handler = logging.config.DictConfigurator({"version": 1}).configure_handler(
        {
            "class": "palermo.audit.anchor_syslog.AnchorSyslogHandler",
            "target": f"udp://127.0.0.1:{port}",
        }
    )
    assert isinstance(handler, AnchorSyslogHandler)
    logger = logging.getLogger("palermo.audit.anchor")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("audit checkpoint %s", '{"sequence":5}')
        datagram = receiver.recv(4096).decode()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        handler.close()
    # <priority>: authpriv (10) * 8 + info (6) = 86.
    assert datagram.startswith("<86>palermo-audit-anchor: audit checkpoint ")
    assert datagram.rstrip("\x00").endswith('{"sequence":5}')


def test_the_settings_wire_the_logger_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    import config.settings.base as base

    try:
        monkeypatch.setenv("PALERMO_AUDIT_ANCHOR_SYSLOG", "udp://127.0.0.1:5514")
        monkeypatch.setenv("PALERMO_LOG_LEVEL", "WARNING")
        configured = importlib.reload(base).LOGGING
        assert configured["loggers"]["palermo.audit.anchor"] == {
            "level": "INFO",  # whatever the general level
            "handlers": ["audit_anchor_syslog"],
        }
        assert configured["handlers"]["audit_anchor_syslog"]["target"] == "udp://127.0.0.1:5514"
        monkeypatch.delenv("PALERMO_AUDIT_ANCHOR_SYSLOG")
        plain = importlib.reload(base).LOGGING
        assert plain["loggers"]["palermo.audit.anchor"] == {"level": "INFO"}
        assert "audit_anchor_syslog" not in plain["handlers"]
    finally:
        monkeypatch.undo()
        importlib.reload(base)
