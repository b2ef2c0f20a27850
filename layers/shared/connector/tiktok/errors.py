"""Typed TikTok Shop errors, one family per way the caller must react.

Every error carries TikTok's numeric ``code``, its ``message`` (with any secret the client
knows of scrubbed out), the ``request_id`` (to quote to TikTok support) and the API path
*template* (never the query string, which holds the signature and, on the auth host, the
app secret). Nothing here ever formats a token or a secret.

Families (``error_for`` picks one from the code and the HTTP status):

- :class:`AuthError` - credentials, signature, scopes, shop cipher. :class:`TokenExpired`
  (105002) is the one the client repairs itself: refresh once and retry.
- :class:`RateLimited` - 36009002 / HTTP 429: retried with backoff, the limiter paused.
- :class:`ServerError`, :class:`Timeout` - 5xx, 36009003, 36009007, transport failures:
  retried with backoff.
- :class:`ProductValidationError` - a listing rule refused (12xxxxxx codes): never retried;
  the product gets a status with TikTok's code and message as the reason.
- :class:`TikTokNotFound`, :class:`BadRequest` - the request itself is wrong: never retried.
"""

from __future__ import annotations

from connector.errors import NotFound, UpstreamError

# --- codes (TikTok's error codes, see docs/tiktok.md) ---------------------------------------
INVALID_SIGNATURE = 106001
MISSING_SHOP_CIPHER = 106013
TOKEN_EXPIRED = 105002
SCOPE_NOT_GRANTED = 105005
TOKEN_SHOP_MISMATCH = 101000
UNEXPECTED_PARAMETER = 36009004  # catch-all: bad credentials, stale timestamp, unexpected cipher
TOO_MANY_REQUESTS = 36009002
INTERNAL_ERROR = 36009003
GATEWAY_TIMEOUT = 36009007
IP_NOT_ALLOWED = 36009033
RETIRED_VERSION = 36009014
DAILY_LISTING_LIMIT = 12052093
#: Our own code for an answer that said success but does not parse as the documented shape.
UNEXPECTED_ANSWER = -2
#: Our own code for "this client has no access token to send".
NO_ACCESS_TOKEN = -3

#: Codes meaning "no such entity". TikTok's docs publish none: these are the sandbox's choices
#: (UNCONFIRMED against TikTok). An HTTP 404 also maps to :class:`TikTokNotFound`.
NOT_FOUND_CODES = frozenset({12052700, 21011001, 21011002, 25011001, 25011002})

_MAX_MESSAGE = 500


class TikTokError(UpstreamError):
    """A TikTok Shop call failed. ``retryable`` says whether repeating it later can help."""

    code = "tiktok_error"
    retryable = False

    def __init__(
        self,
        tiktok_code: int,
        message: str,
        *,
        request_id: str | None = None,
        http_status: int | None = None,
        path: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.tiktok_code = tiktok_code
        self.tiktok_message = (message or "")[:_MAX_MESSAGE]
        self.request_id = request_id
        self.http_status = http_status
        self.path = path
        self.retry_after = retry_after
        where = f" on {path}" if path else ""
        text = f"TikTok error {tiktok_code}{where}: {self.tiktok_message} (request_id={request_id or '-'})"
        super().__init__(text, reason=f"tiktok:{tiktok_code}")


class AuthError(TikTokError):
    """Credentials, signature, scope or shop cipher refused: fix configuration or re-authorize."""

    code = "tiktok_auth_error"


class InvalidSignature(AuthError):
    code = "tiktok_invalid_signature"


class TokenExpired(AuthError):
    """105002: the access token expired. The client refreshes once and retries."""

    code = "tiktok_token_expired"


class ScopeError(AuthError):
    """105005: the app lacks the API package, or the token predates it: re-authorize."""

    code = "tiktok_scope_error"


class ShopCipherError(AuthError):
    """106013 (cipher missing) or 101000 (token and shop do not belong together)."""

    code = "tiktok_shop_cipher_error"


class RateLimited(TikTokError):
    """36009002 / HTTP 429."""

    code = "tiktok_rate_limited"
    retryable = True


class ServerError(TikTokError):
    """HTTP 5xx, 36009003, or the connection failed: TikTok may answer later."""

    code = "tiktok_server_error"
    retryable = True


class Timeout(ServerError):
    """36009007 or no answer in time."""

    code = "tiktok_timeout"


class BadRequest(TikTokError):
    """The request itself is wrong (36009004 and friends): retrying cannot help."""

    code = "tiktok_bad_request"


class TikTokNotFound(TikTokError, NotFound):
    """What was asked for is not in the shop (a :class:`connector.errors.NotFound` too)."""

    code = "tiktok_not_found"


class UnexpectedAnswer(TikTokError):
    """TikTok answered success with a body we cannot read (a changed or undocumented shape)."""

    code = "tiktok_unexpected_answer"


class ProductValidationError(TikTokError):
    """A listing rule refused the product; ``tiktok_code`` and ``tiktok_message`` say which."""

    code = "tiktok_product_validation"


class ListingLimitReached(ProductValidationError):
    """12052093: the shop's daily listing quota is used up; queue and try tomorrow."""

    code = "tiktok_listing_limit"


def error_for(
    tiktok_code: int,
    message: str,
    *,
    request_id: str | None = None,
    http_status: int | None = None,
    path: str | None = None,
    retry_after: float | None = None,
) -> TikTokError:
    """The typed error for a TikTok answer with a non-zero code (or a failed HTTP status)."""
    cls = _family(tiktok_code, http_status)
    return cls(
        tiktok_code,
        message,
        request_id=request_id,
        http_status=http_status,
        path=path,
        retry_after=retry_after,
    )


def _family(code: int, http_status: int | None) -> type[TikTokError]:
    exact: dict[int, type[TikTokError]] = {
        INVALID_SIGNATURE: InvalidSignature,
        TOKEN_EXPIRED: TokenExpired,
        SCOPE_NOT_GRANTED: ScopeError,
        MISSING_SHOP_CIPHER: ShopCipherError,
        TOKEN_SHOP_MISMATCH: ShopCipherError,
        IP_NOT_ALLOWED: AuthError,
        TOO_MANY_REQUESTS: RateLimited,
        INTERNAL_ERROR: ServerError,
        GATEWAY_TIMEOUT: Timeout,
        UNEXPECTED_PARAMETER: BadRequest,
        RETIRED_VERSION: BadRequest,
        DAILY_LISTING_LIMIT: ListingLimitReached,
    }
    if code in exact:
        return exact[code]
    if http_status == 429:
        return RateLimited
    if code in NOT_FOUND_CODES or http_status == 404:
        return TikTokNotFound
    if http_status is not None and http_status >= 500:
        return ServerError
    if 105000 <= code <= 106999:  # the 105xxx/106xxx families are all about credentials
        return AuthError
    if 12_000_000 <= code <= 12_999_999:  # product API: listing rules
        return ProductValidationError
    if 36_009_000 <= code <= 36_009_999 or (http_status is not None and 400 <= http_status < 500):
        return BadRequest
    return TikTokError
