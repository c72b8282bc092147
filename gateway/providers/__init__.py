"""SMS providers: one module each (verify, parse, render the reply, send).

Provider modules never touch Flask globals or the database: the web layer hands them the
URL, form and headers of a request; the send job hands them an OutboundSms.
"""
from __future__ import annotations

from typing import Protocol

from gateway.config import Config
from gateway.domain import OutboundSms, SendResult
from gateway.providers import africastalking, console, orange, relay, twilio


class Sender(Protocol):
    name: str

    def send(self, message: OutboundSms) -> SendResult: ...


PROVIDERS = (console, twilio, africastalking, orange, relay)
_BY_NAME = {module.NAME: module for module in PROVIDERS}


def provider_names() -> tuple[str, ...]:
    return tuple(_BY_NAME)


def sending_provider(inbound: str | None, configured: str) -> str:
    """The provider for a message to someone who wrote to us through `inbound`, or to a
    forum's coordinators when `inbound` is the forum's own provider (forums file `provider:`).

    Replies go back the way they came when that provider can send. SMS_PROVIDER=console
    wins over everything: a demonstration must never text a real person.
    """
    if configured == console.NAME or inbound not in _BY_NAME:
        return configured
    return inbound


def failover_chain(preferred: str, order: tuple[str, ...]) -> tuple[str, ...]:
    """The providers to try for a message queued for `preferred`, in order: it first, then
    the deployment's SMS_PROVIDERS. A console deployment never reaches a real provider."""
    if order and order[0] == console.NAME:
        return (console.NAME,)
    return tuple(dict.fromkeys((preferred, *order)))


def make_sender(name: str, config: Config) -> Sender:
    try:
        module = _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown SMS provider {name!r}; known: {', '.join(_BY_NAME)}") from None
    return module.make_sender(config)
