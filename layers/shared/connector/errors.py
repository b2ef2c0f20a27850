"""Typed domain errors. HTTP handlers turn them into status codes in one place
(:mod:`connector.web`); nothing decides a status by matching message text.

Messages must never contain a token, secret, OAuth code or buyer detail.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error the connector raises on purpose."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.code


class BadRequest(ConnectorError):
    status = 400
    code = "bad_request"


class Unauthorized(ConnectorError):
    status = 401
    code = "unauthorized"


class Forbidden(ConnectorError):
    status = 403
    code = "forbidden"


class NotFound(ConnectorError):
    status = 404
    code = "not_found"


class Conflict(ConnectorError):
    """A conditional write lost: somebody else holds or changed the item."""

    status = 409
    code = "conflict"


class PayloadTooLarge(ConnectorError):
    status = 413
    code = "payload_too_large"


class UpstreamError(ConnectorError):
    """A platform (TikTok, a store) failed in a way retries did not fix."""

    status = 502
    code = "upstream_error"


class ConfigurationError(ConnectorError):
    """The deployment is wrong (missing or malformed environment): fails on the first call."""

    status = 500
    code = "configuration_error"
