"""A fake Twilio REST API that notes when each alert arrives (for end-to-end latency)."""
from __future__ import annotations

import re
import time

from tests.fakes.provider_server import FakeProviderServer, Received, twilio_created

_REFERENCE = re.compile(r"\b([ACDEFHJKMNPRTUVWXY34679]{6})\b")


class TimedProvider(FakeProviderServer):
    """Answers every send with Twilio's 201; keeps the first arrival time per reference."""

    def __init__(self):
        super().__init__(twilio_created)
        self.first_arrival: dict[str, float] = {}
        self.sends = 0

    def respond(self, request: Received):
        arrived = time.time()
        match = _REFERENCE.search(request.form.get("Body", ""))
        with self._lock:
            self.sends += 1
            if match:
                self.first_arrival.setdefault(match.group(1), arrived)
        return self._default(request)
