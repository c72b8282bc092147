"""A bounded load of signed Twilio webhooks: a steady pace, a cap on count and time, loopback only."""
from __future__ import annotations

import itertools
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from twilio.request_validator import RequestValidator

TEXTS = [
    "Bagarre entre orpailleurs sur le site d'orpaillage de Kenieba",
    "Des hommes armes ont attaque le marche de Boni",
    "Vol de betail a Nara par des bandits",
    "Conflit foncier entre agriculteurs et eleveurs pres de Segou",
    "Des militaires ont arrete des jeunes a Mopti",
]
_REFERENCE = re.compile(r"Ref ([A-Z0-9]{6})")
_sids = itertools.count(1)


@dataclass
class Sent:
    sid: str
    status: int | str          # HTTP status, or the exception's name when no answer came
    reference: str | None


@dataclass
class Load:
    """Posts one new message each `1/rate` seconds (each delivered `copies` times) until stopped."""
    base_url: str
    auth_token: str
    rate: float = 10.0
    copies: int = 1
    max_requests: int = 2000
    max_seconds: float = 90.0
    sent: list[Sent] = field(default_factory=list)
    requests: int = 0

    def __post_init__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load", daemon=True)
        self._validator = RequestValidator(self.auth_token)

    def start(self) -> "Load":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        started = time.monotonic()
        for n in itertools.count():
            if self._stop.is_set() or self.requests >= self.max_requests or time.monotonic() - started > self.max_seconds:
                return
            form = _form(n)
            for _ in range(self.copies):
                self.sent.append(self._post(form))
            self._stop.wait(max(0.0, started + (n + 1) / self.rate - time.monotonic()))

    def _post(self, form: dict) -> Sent:
        url = self.base_url + "/webhooks/twilio/sms"
        request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), headers={
            "X-Twilio-Signature": self._validator.compute_signature(url, form)})
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                body = response.read().decode()
                match = _REFERENCE.search(body)
                return Sent(form["MessageSid"], response.status, match.group(1) if match else None)
        except urllib.error.HTTPError as exc:
            return Sent(form["MessageSid"], exc.code, None)
        except OSError as exc:
            return Sent(form["MessageSid"], type(exc).__name__, None)


def _form(n: int) -> dict[str, str]:
    # Reporters' numbers: +223 65…, clear of the demo coordinators (+223 76 00 00 01…), whose
    # messages are commands, never reports.
    sid = f"SM{next(_sids):08d}{int(time.time() * 1000) % 10**24:024d}"
    return {"MessageSid": sid, "AccountSid": "AC" + "1" * 32, "From": f"+22365{n % 500:06d}",
            "To": "+15005550006", "Body": f"{TEXTS[n % len(TEXTS)]} ({n})", "NumSegments": "1"}
