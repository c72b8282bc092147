"""Errors that carry behaviour: callers read attributes, never message strings."""


class GatewayError(Exception):
    """Base class for errors raised by this project."""


class ConfigError(GatewayError):
    """The configuration cannot be used (e.g. production without real secrets)."""


class BadSignature(GatewayError):
    """A webhook request is not signed by the provider it claims to come from."""


class MalformedPayload(GatewayError):
    """A webhook request is authentic but lacks fields we need, or has unusable ones."""


class InvalidNumber(MalformedPayload):
    """A phone number that phonenumbers cannot read as a valid number."""


class ProviderError(GatewayError):
    """An outbound provider call failed.

    retryable: a later attempt may succeed (connection error, 5xx, 429).
    code: the provider's own error code, when it gave one, for the message log.
    account: the provider refuses us, not this message (credentials, sender id, credit):
      every message would fail the same way until staff fix the account, so the message
      is retried later and, with a failover list, goes through the next provider at once.
    """

    def __init__(self, reason: str, *, retryable: bool, code: str | None = None, account: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable or account
        self.code = code
        self.account = account
