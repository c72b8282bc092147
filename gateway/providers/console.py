"""The `console` provider: outbound messages are recorded in the message log, never sent.

The default on a fresh machine, so a demonstration cannot text a real person by mistake.
"""
from __future__ import annotations

import uuid

from gateway.config import Config
from gateway.domain import OutboundSms, SendResult
from gateway.gsm7 import segment_count

NAME = "console"


class ConsoleSender:
    name = NAME

    def send(self, message: OutboundSms) -> SendResult:
        return SendResult(provider_message_id=f"console-{uuid.uuid4().hex}", status="sent",
                          segments=segment_count(message.body))


def make_sender(_config: Config) -> ConsoleSender:
    return ConsoleSender()
