"""Sending audit checkpoints to a syslog server, so a copy leaves the machine as it is made.

Settings name the target as one string (PALERMO_AUDIT_ANCHOR_SYSLOG); this handler turns it
into what logging.handlers.SysLogHandler takes. No Django import: logging configures it.
"""

from __future__ import annotations

import logging.handlers
import socket
from urllib.parse import urlsplit

DEFAULT_PORT = 514


def syslog_address(target: str) -> tuple[str | tuple[str, int], socket.SocketKind]:
    """(address, socket type) for udp://host[:port], tcp://host[:port] or a socket path.

    ValueError for anything else, so a mistyped setting stops the start instead of losing
    the remote copy silently.
    """
    target = target.strip()
    if target.startswith("/"):
        return target, socket.SOCK_DGRAM
    parts = urlsplit(target)
    kinds = {"udp": socket.SOCK_DGRAM, "tcp": socket.SOCK_STREAM}
    try:
        port = parts.port  # ValueError for a port that is not a number or out of range
    except ValueError as exc:
        raise ValueError(f"Bad port in the syslog target {target!r}.") from exc
    if parts.scheme not in kinds or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(
            f"The syslog target {target!r} is not udp://host:port, tcp://host:port "
            "or a socket path."
        )
    return (parts.hostname, port or DEFAULT_PORT), kinds[parts.scheme]


class AnchorSyslogHandler(logging.handlers.SysLogHandler):
    """A SysLogHandler configured from one string; tags every line `palermo-audit-anchor`."""

    def __init__(self, target: str) -> None:
        address, kind = syslog_address(target)
        super().__init__(
            address=address, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV, socktype=kind
        )
        self.ident = "palermo-audit-anchor: "
