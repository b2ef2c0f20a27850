"""The wire to TikTok Shop: signing, the request loop, retries, rate limits, error mapping.

Every API area (``connector.tiktok.auth``, ``.products``, ``.logistics``, ``.orders``,
``.fulfillment``, ``.after_sales``) sends its calls through one :class:`Transport`, which signs
every request (``connector.tiktok.signing``), sends the body bytes it signed, puts the access
token in ``x-tts-access-token``, adds ``shop_cipher`` only to the calls that accept it, and turns
TikTok's answers into ``data`` dicts or typed errors (``connector.tiktok.errors``).

Resilience, in one loop (:meth:`Transport.request`):
- every attempt first takes a permit from the :class:`~connector.ratelimit.RateLimiter` under
  ``tiktok#<shop id | app:<key>>#<path template>`` at 50 requests/s by default (TikTok's published limit);
- 105002 (token expired): ask the token provider for a fresh token once, then retry;
- 36009002 / HTTP 429: pause the limiter key (honouring ``Retry-After``) and retry;
- HTTP 5xx, 36009003, 36009007, timeouts and connection failures: back off with jitter, retry;
- anything else raises at once.
A retry re-signs with a fresh timestamp but sends the same body bytes.

Nothing here logs or raises a token, secret, code or query string.
"""

from __future__ import annotations

import copy
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from connector.ratelimit import LocalRateLimiter, RateLimiter
from connector.tiktok import errors as e
from connector.tiktok.models import Page
from connector.tiktok.oauth import TokenProvider
from connector.tiktok.protocol import ShopRef
from connector.tiktok.settings import TikTokEndpoints
from connector.tiktok.signing import QueryValue, query_value, serialize_body, sign_request

log = logging.getLogger("connector.tiktok")

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

#: TikTok's published default: 50 requests per second per API per app+shop.
DEFAULT_RATE_PER_SECOND = 50.0
#: ``tiktok_code`` of failures that never reached TikTok (timeouts, refused connections).
TRANSPORT_FAILURE = -1
#: Creating a custom brand is the one shop call that refuses ``shop_cipher``.
_BRAND_CREATE = ("POST", "/product/202309/brands")

_NO_CIPHER_PREFIXES = (
    "/authorization/",
    "/seller/",
    "/product/202309/global_products",
    "/product/202309/images/upload",
    "/product/202309/files/upload",
    "/product/202309/compliance/",
)


def accepts_cipher(method: str, path: str) -> bool:
    """Whether a call takes ``shop_cipher`` (sending it where it is not expected is 36009004)."""
    if path.startswith(_NO_CIPHER_PREFIXES):
        return False
    return (method.upper(), path) != _BRAND_CREATE


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and backoff for retryable failures (429, 5xx, timeouts)."""

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0

    def delay(self, failures: int, retry_after: float | None, rnd: Callable[[], float]) -> float:
        """Seconds to wait after the ``failures``-th failure: Retry-After if given, else
        exponential with "equal jitter" (half fixed, half random) so callers spread out."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_delay_s)
        ceiling = min(self.max_delay_s, self.base_delay_s * (2.0 ** (failures - 1)))
        return ceiling / 2 + rnd() * ceiling / 2


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every known secret (4 characters or more) replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size`` (the most ids one batch call accepts)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def parse(model: type[M], data: Any) -> M:
    """Validate an answer; a malformed one is an :class:`~errors.UnexpectedAnswer` naming only
    the fields at fault (pydantic's own text quotes input values, which may be tokens)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()})
        raise e.UnexpectedAnswer(
            e.UNEXPECTED_ANSWER, f"{model.__name__} answer malformed at: {', '.join(fields)[:300]}"
        ) from None


def drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    """A request body without the fields the caller left unset."""
    return {k: v for k, v in values.items() if v is not None}


class _NoTokens:
    def access_token(self) -> str:
        raise e.AuthError(e.NO_ACCESS_TOKEN, "no access token configured for this client")

    def refresh(self, expired_token: str) -> str:
        raise e.TokenExpired(e.TOKEN_EXPIRED, "access token expired and no refresher is configured")


class _StripQueryFilter(logging.Filter):
    """httpx logs each request URL at INFO; the auth host's URLs carry the app secret and the
    refresh token in the query. Drop query strings from those records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(arg.copy_with(query=None) if isinstance(arg, httpx.URL) else arg for arg in record.args)
        return True


_httpx_logger = logging.getLogger("httpx")
if not any(isinstance(f, _StripQueryFilter) for f in _httpx_logger.filters):
    _httpx_logger.addFilter(_StripQueryFilter())


class Transport:
    """Signed calls to one app's TikTok Shop API, on a shared ``httpx.Client``.

    :meth:`with_tokens` and :meth:`with_limiter` give a copy acting for one seller / pacing its
    calls with another limiter; the copies share the HTTP pool.
    """

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        endpoints: TikTokEndpoints,
        *,
        http: httpx.Client | None = None,
        limiter: RateLimiter | None = None,
        tokens: TokenProvider | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rnd: Callable[[], float] = random.random,
        retry: RetryPolicy | None = None,
        rate_per_second: float = DEFAULT_RATE_PER_SECOND,
        rates: Mapping[str, float] | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.app_key = app_key
        self.endpoints = endpoints
        self._app_secret = app_secret
        self._http = http if http is not None else httpx.Client(timeout=httpx.Timeout(timeout_s, connect=5.0))
        self._limiter: RateLimiter = limiter if limiter is not None else LocalRateLimiter()
        self._tokens: TokenProvider | None = tokens
        self._clock = clock
        self._sleep = sleep
        self._rnd = rnd
        self._retry = retry or RetryPolicy()
        self._rate = rate_per_second
        self._rates = dict(rates or {})

    def __repr__(self) -> str:
        return f"Transport(app_key={self.app_key!r}, api_base={self.endpoints.api_base!r})"

    def with_tokens(self, tokens: TokenProvider) -> Transport:
        """This transport (same HTTP pool and limiter) acting for one seller."""
        bound = copy.copy(self)
        bound._tokens = tokens
        return bound

    def with_limiter(self, limiter: RateLimiter) -> Transport:
        """This transport (same HTTP pool and tokens) pacing its calls with ``limiter``."""
        bound = copy.copy(self)
        bound._limiter = limiter
        return bound

    def close(self) -> None:
        self._http.close()

    def rate_limit_key(self, shop: ShopRef | None, path_template: str) -> str:
        scope = shop.id if shop is not None else f"app:{self.app_key}"
        return f"tiktok#{scope}#{path_template}"

    def request(
        self,
        method: str,
        path_template: str,
        *,
        shop: ShopRef | None = None,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, QueryValue | None] | None = None,
        json: Any = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        form: Mapping[str, str] | None = None,
        access_token: str | None = None,
    ) -> dict[str, Any]:
        """Call TikTok and return the answer's ``data`` (``{}`` when there is none)."""
        path = path_template.format(**{k: quote(str(v), safe="") for k, v in (path_params or {}).items()})
        body = serialize_body(json) if json is not None and files is None else None
        extra_query = {k: v for k, v in (query or {}).items() if v is not None}
        key = self.rate_limit_key(shop, path_template)
        rate = self._rates.get(path_template, self._rate)
        send_cipher = shop is not None and accepts_cipher(method, path)
        token = access_token
        refreshed = False
        failures = 0
        while True:
            self._limiter.acquire(key, rate)
            if access_token is None:
                token = (self._tokens or _NoTokens()).access_token()
            params: dict[str, QueryValue] = {"app_key": self.app_key, "timestamp": int(self._clock())}
            if send_cipher and shop is not None:
                params["shop_cipher"] = shop.cipher
            params.update(extra_query)
            sign = sign_request(self._app_secret, path, params, body, multipart=files is not None)
            wire = {k: query_value(v) for k, v in params.items()}
            wire["sign"] = sign
            headers = {"x-tts-access-token": token or ""}
            secrets = (self._app_secret, token)
            error: e.TikTokError
            try:
                if files is not None:
                    req = self._http.build_request(
                        method,
                        self.endpoints.api_base + path,
                        params=wire,
                        headers=headers,
                        files=files,
                        data=form,
                    )
                else:
                    headers["content-type"] = "application/json"
                    req = self._http.build_request(
                        method, self.endpoints.api_base + path, params=wire, headers=headers, content=body
                    )
                response = self._http.send(req)
            except httpx.TimeoutException:
                error = e.Timeout(TRANSPORT_FAILURE, "no answer in time", path=path_template)
            except httpx.TransportError as exc:
                error = e.ServerError(
                    TRANSPORT_FAILURE, f"transport failure ({type(exc).__name__})", path=path_template
                )
            else:
                outcome = self._outcome(response, path_template, secrets)
                if not isinstance(outcome, e.TikTokError):
                    return outcome
                error = outcome
            if (
                isinstance(error, e.TokenExpired)
                and not refreshed
                and access_token is None
                and self._tokens is not None
            ):
                refreshed = True
                log.info("tiktok token expired; refreshing once", extra={"path": path_template})
                try:
                    self._tokens.refresh(token or "")
                except e.TokenExpired:
                    raise error from None  # nothing can refresh it: TikTok's answer, with its request id
                continue
            failures += 1
            if not error.retryable or failures >= self._retry.max_attempts:
                raise error
            delay = self._retry.delay(failures, error.retry_after, self._rnd)
            log.warning(
                "tiktok call failed, retrying",
                extra={
                    "path": path_template,
                    "tiktok_code": error.tiktok_code,
                    "request_id": error.request_id,
                    "attempt": failures,
                    "delay_s": round(delay, 3),
                },
            )
            if isinstance(error, e.RateLimited):
                self._limiter.pause(key, delay)  # acquire() holds every caller of the key
            else:
                self._sleep(delay)

    def _outcome(
        self, response: httpx.Response, path_template: str, secrets: Sequence[str | None]
    ) -> dict[str, Any] | e.TikTokError:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        code: Any = None
        message = ""
        request_id: str | None = None
        if isinstance(payload, dict):
            code = payload.get("code")
            message = str(payload.get("message") or "")
            rid = payload.get("request_id")
            request_id = str(rid) if rid else None
        request_id = request_id or response.headers.get("x-tt-logid")
        if isinstance(code, str) and code.lstrip("-").isdigit():
            code = int(code)
        status = response.status_code
        if status < 400 and code == 0 and isinstance(payload, dict):
            data = payload.get("data")
            return data if isinstance(data, dict) else {}
        if not isinstance(code, int) or code == 0:
            if status == 429:
                code = e.TOO_MANY_REQUESTS
            elif status >= 500:
                code = e.INTERNAL_ERROR
            else:
                code = TRANSPORT_FAILURE
            message = message or f"HTTP {status}"
        return e.error_for(
            code,
            scrub(message, secrets),
            request_id=request_id,
            http_status=status,
            path=path_template,
            retry_after=_retry_after(response),
        )

    def auth_get(self, path: str, params: Mapping[str, str], secrets: Sequence[str]) -> dict[str, Any]:
        """An unsigned GET on the auth host: ``app_key`` and ``app_secret`` travel in the query
        (TikTok's token endpoints), followed by ``params``; ``secrets`` are scrubbed from errors."""
        params = {"app_key": self.app_key, "app_secret": self._app_secret, **params}
        key = self.rate_limit_key(None, path)
        failures = 0
        while True:
            self._limiter.acquire(key, self._rates.get(path, self._rate))
            error: e.TikTokError
            try:
                response = self._http.get(self.endpoints.auth_base + path, params=dict(params))
            except httpx.TimeoutException:
                error = e.Timeout(TRANSPORT_FAILURE, "no answer in time", path=path)
            except httpx.TransportError as exc:
                error = e.ServerError(TRANSPORT_FAILURE, f"transport failure ({type(exc).__name__})", path=path)
            else:
                outcome = self._outcome(response, path, (self._app_secret, *secrets))
                if not isinstance(outcome, e.TikTokError):
                    return outcome
                error = outcome
            failures += 1
            if not error.retryable or failures >= self._retry.max_attempts:
                raise error
            delay = self._retry.delay(failures, error.retry_after, self._rnd)
            if isinstance(error, e.RateLimited):
                self._limiter.pause(key, delay)
            else:
                self._sleep(delay)


def page_of(data: Mapping[str, Any], key: str, model: type[M]) -> Page[M]:
    """One page of a search answer: the items under ``key``, the next page's token, the total."""
    token = data.get("next_page_token") or None
    total = data.get("total_count")
    return Page[model](  # type: ignore[valid-type]
        items=[parse(model, item) for item in data.get(key) or []],
        next_page_token=str(token) if token else None,
        total_count=int(total) if total is not None else None,
    )


def paged(fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
    """Every item of a search, page after page (``fetch`` takes the page token)."""
    token: str | None = None
    seen_tokens: set[str] = set()
    while True:
        page = fetch(token)
        yield from page.items
        token = page.next_page_token
        if not token or token in seen_tokens:  # a repeated token would loop forever
            return
        seen_tokens.add(token)


class Service:
    """One API area's calls, bound to a :class:`Transport` (the client composes one of each)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
