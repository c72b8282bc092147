"""SMS providers: one module each (verify, parse, render the reply, send).

Provider modules never touch Flask globals or the database: the web layer hands them the
URL, form and headers of a request; the send job hands them an OutboundSms.
"""
from __future__ import annotations

from typing import Protocol

from gateway.config import Config
from gateway.domain import OutboundSms, SendResult
from gateway.providers import africastalking, console, relay, twilio


class Sender(Protocol):
    name: str

    def send(self, message: OutboundSms) -> SendResult: ...


PROVIDERS = (console, twilio, africastalking, relay)
_BY_NAME = {module.NAME: module for module in PROVIDERS}


def provider_names() -> tuple[str, ...]:
    return tuple(_BY_NAME)


def sending_provider(inbound: str | None, configured: str) -> str:
    """The provider for a message to someone who wrote to us through `inbound`.

    Replies go back the way they came when that provider can send. SMS_PROVIDER=console
    wins over everything: a demonstration must never text a real person.
    """
    if configured == console.NAME or inbound not in _BY_NAME:
        return configured
    return inbound


def make_sender(name: str, config: Config) -> Sender:
    try:
        module = _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown SMS provider {name!r}; known: {', '.join(_BY_NAME)}") from None
    return module.make_sender(config)
