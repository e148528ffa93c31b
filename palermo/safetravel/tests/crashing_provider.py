"""A recording provider that kills its own process with SIGKILL right after handing over its
Nth message — before the sender can record that it did: the worst moment to die."""

from __future__ import annotations

import os
import signal

from palermo.safetravel.delivery import Outgoing, RecordingProvider

_handed = 0


class CrashingRecordingProvider(RecordingProvider):
    def send(self, message: Outgoing) -> str:
        global _handed
        provider_id = super().send(message)
        _handed += 1
        if _handed >= int(os.environ.get("PALERMO_TEST_CRASH_AFTER", "1")):
            os.kill(os.getpid(), signal.SIGKILL)
        return provider_id
