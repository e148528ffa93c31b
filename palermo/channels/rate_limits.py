"""The webhooks' token buckets (`palermo.throttling`), per server process.

Two limits: accepted requests per channel and client address (generous: gateways batch), and
refused ones (bad signature, unknown channel) per client address (strict: that is guessing).
"""

from __future__ import annotations

from palermo.throttling import TokenBuckets

accepted = TokenBuckets()
refused = TokenBuckets()
