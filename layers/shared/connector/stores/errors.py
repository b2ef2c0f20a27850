"""Typed errors of the store-platform adapters.

Every adapter raises these and nothing else for platform failures, so catalog and order
logic can decide by type: retry later (:class:`RateLimited`, :class:`ServerError`), ask the
merchant to reconnect (:class:`AuthError`), record a reason (:class:`StoreValidationError`,
:class:`StoreNotFound`, which is also the connector's :class:`~connector.errors.NotFound`).

Messages carry the platform, the HTTP method, a path made of ids, the HTTP status and the
platform's error code. They never carry a token, a secret, an OAuth code, a request or
response body, or buyer details.
"""

from __future__ import annotations

from connector.errors import ConnectorError, NotFound

__all__ = ["AmbiguousWrite", "AuthError", "InvalidSignature", "LaunchRefused", "NotFound", "RateLimited",
           "ServerError", "StoreError", "StoreNotFound", "StoreValidationError"]


class StoreError(ConnectorError):
    """A store platform refused or failed a call."""

    status = 502
    code = "store_error"
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        platform: str = "",
        http_status: int | None = None,
        platform_code: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message, reason=reason or platform_code)
        self.platform = platform
        self.http_status = http_status
        self.platform_code = platform_code


class AuthError(StoreError):
    """The token is invalid, revoked (app uninstalled) or lacks a scope: the merchant must reconnect."""

    code = "store_auth"


class InvalidSignature(AuthError):
    """A webhook's signature does not match: the request is not from the platform."""

    status = 401
    code = "invalid_signature"


class RateLimited(StoreError):
    """The platform kept answering 429 after the retries we allow ourselves."""

    status = 503
    code = "store_rate_limited"
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float,
        platform: str = "",
        http_status: int | None = 429,
        platform_code: str | None = None,
    ) -> None:
        super().__init__(message, platform=platform, http_status=http_status, platform_code=platform_code)
        self.retry_after = retry_after


class StoreNotFound(StoreError, NotFound):
    """The product, variant or order does not exist (any more) on the store."""

    status = 404
    code = "store_not_found"


class StoreValidationError(StoreError):
    """The platform rejected what we sent (4xx other than auth / not found): never retried."""

    status = 422
    code = "store_validation"


class ServerError(StoreError):
    """5xx, timeouts and transport failures that outlived the retries."""

    status = 502
    code = "store_unavailable"
    retryable = True


class AmbiguousWrite(ServerError):
    """A write that is not safe to repeat (creating an order) failed in a way that does not say
    whether the store did it: a 5xx, a timeout or a connection lost after the request was sent.
    The caller must find out (search the store over a settle window) before writing again."""

    code = "store_write_ambiguous"


class LaunchRefused(Exception):
    """A store admin's opening of the app that does not open a console. ``reason``: ``forged``
    (a signature that does not match, another app's or shop's, malformed) or ``expired`` (signed,
    but too old). Not a :class:`StoreError`: the console answers it with a page, not an error."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
