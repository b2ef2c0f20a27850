"""The sandbox's request gate and shared machinery: what every API call goes through before a
handler sees it, in TikTok's order of checks.

1. ``app_key`` is the app's; ``timestamp`` is 10 digits within [now - 5 min, now + 30 s]
   (else 36009004);
2. ``sign`` is the lowercase hex HMAC of TikTok's request signature over the raw body bytes (not for
   multipart) (else 106001, HTTP 401);
3. ``x-tts-access-token`` is a live token (unknown 105001, expired 105002, HTTP 401);
4. ``shop_cipher``: required on shop-scoped calls (106013), refused where not accepted
   (36009004), and must be a shop of the token's seller (101000);
5. the seller granted the API's scope (105005);
6. rate limit per app + shop (or seller) + API path: a token bucket one second deep
   (HTTP 429, 36009002);
7. for tests: an outage window (every call answers 503 with TikTok's envelope) and injected
   faults per path (see :class:`Fault`).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from local.httpkit import Request, Response, Router, json_response
from local.sandbox_tiktok import codes as c
from local.sandbox_tiktok.delivery import Scheduler, WebhookDispatcher
from local.sandbox_tiktok.state import Seller, Shop, State

T = TypeVar("T")

TIMESTAMP_PAST_S = 300
TIMESTAMP_FUTURE_S = 30

#: Paths that must not carry ``shop_cipher`` (see docs/tiktok.md).
NO_CIPHER_PREFIXES = (
    "/authorization/",
    "/seller/",
    "/product/202309/global_products",
    "/product/202309/images/upload",
    "/product/202309/files/upload",
    "/product/202309/compliance/",
)

#: Scope (API package) each path family needs.
SCOPES = {
    "/authorization/": "seller.authorization.info",
    "/seller/": "seller.authorization.info",
    "/product/": "seller.product.basic",
    "/order/": "seller.order.info",
    "/fulfillment/": "seller.fulfillment.basic",
    "/logistics/": "seller.logistics",
    "/return_refund/": "seller.return_refund.basic",
}


def accepts_cipher(method: str, path: str) -> bool:
    if path.startswith(NO_CIPHER_PREFIXES):
        return False
    return not (method == "POST" and path == "/product/202309/brands")


def sign(app_secret: str, path: str, query: dict[str, str], body: bytes) -> str:
    parts = [path] + [k + query[k] for k in sorted(query) if k not in ("sign", "access_token")]
    if body:
        parts.append(body.decode("utf-8", errors="replace"))
    base = app_secret + "".join(parts) + app_secret
    return hmac.new(app_secret.encode(), base.encode(), hashlib.sha256).hexdigest()


@dataclass
class Call:
    """What the gate established about a request."""

    seller: Seller
    shop: Shop | None
    request_id: str
    pattern: str
    body: Any = None


@dataclass
class Fault:
    """The next ``remaining`` API calls whose path contains ``path`` fail in one of the ways a
    real platform does:

    - ``error``: HTTP ``status`` with ``code``; before the handler (the call never happened) or,
      with ``after``, once the handler has applied the call (the work is done, the answer is a 5xx);
    - ``timeout``: stall ``delay_s`` then 504; with ``after`` the handler runs first (done, answer lost);
    - ``late``: stall ``delay_s`` then apply and answer normally - a client whose timeout is
      shorter has given up, and its later calls to the same path land first;
    - ``rate_limit``: 429.
    """

    kind: str  # error | timeout | late | rate_limit
    remaining: int
    path: str | None = None  # substring of the request path; None = every API call
    status: int = 500
    code: int = c.INTERNAL_ERROR
    delay_s: float = 0.0
    after: bool = False  # error / timeout: run the handler first, then fail (the answer is lost)

    def json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "remaining": self.remaining,
            "path": self.path,
            "status": self.status,
            "code": self.code,
            "delay_s": self.delay_s,
            "after": self.after,
        }


@dataclass
class Bucket:
    tokens: float
    stamp: float


@dataclass
class Config:
    rate_limit_per_second: float = 50.0
    rate_limits: dict[str, float] = field(default_factory=dict)  # path pattern -> rate
    time_scale: float = 1.0
    review_delay_s: float = 30.0  # before time_scale
    search_lag_s: float = 0.0  # product and order search lag behind writes by this long
    unpaid_pay_after_s: float = 60.0
    hold_s: float = 3600.0
    access_token_ttl_s: int = 7 * 86400
    refresh_token_ttl_s: int = 365 * 86400
    auth_code_ttl_s: int = 30 * 60
    redirect_url: str | None = None


class Core:
    """State, configuration, the gate, envelopes and webhook emission."""

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        *,
        webhook_url: str | None,
        time_scale: float,
        rate_limit_per_second: float,
        seed: int,
    ) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.service_id = "7" + str(int(hashlib.sha256(app_key.encode()).hexdigest()[:13], 16) % 10**15).rjust(15, "0")
        self.state = State(seed)
        self.config = Config(rate_limit_per_second=rate_limit_per_second, time_scale=time_scale)
        self.router = Router()
        self.scheduler = Scheduler()
        self.webhooks = WebhookDispatcher(
            app_key,
            app_secret,
            self.scheduler,
            url=webhook_url,
            time_scale=lambda: self.config.time_scale,
            now=self.state.now,
        )
        self._faults: list[Fault] = []
        self._outage_until: float | None = None
        self._search_index: dict[str, tuple[float, Any]] = {}  # item id -> (written_at, copy)
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._rl_lock = threading.Lock()
        self._log: list[dict[str, Any]] = []
        self._log_lock = threading.Lock()
        self._inventory_writes: list[dict[str, Any]] = []
        self.base_url = ""  # set once the server is listening

    # --- helpers for handlers ---------------------------------------------------------------

    def scaled(self, seconds: float) -> float:
        return seconds * self.config.time_scale

    @property
    def image_url_prefix(self) -> str:
        return f"{self.base_url}/_images/"

    def emit(self, shop_id: str, event_type: int, data: dict[str, Any]) -> None:
        self.webhooks.emit(shop_id, event_type, data)

    def api(self, method: str, pattern: str, handler: Callable[[Request, Call], Any]) -> None:
        """Register an Open API route behind the gate."""
        cipher = accepts_cipher(method, pattern)

        def gated(request: Request) -> Response:
            request_id = time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(10).upper()
            entry: dict[str, Any] = {
                "t": time.time(),
                "method": request.method,
                "path": request.path,
                "pattern": pattern,
                "query_keys": sorted(request.query),
                "has_cipher": "shop_cipher" in request.query,
                "shop_id": None,
                "code": None,
            }
            cipher_given = request.arg("shop_cipher")
            if cipher_given:
                with self.state.lock:
                    known = self.state.shop_by_cipher(cipher_given)
                entry["shop_id"] = known.id if known else None
            try:
                if self.in_outage():
                    raise c.ApiError(c.INTERNAL_ERROR, "Service unavailable, please retry later", 503)
                call = self._gate(request, pattern, cipher, request_id)
                entry["shop_id"] = call.shop.id if call.shop else entry["shop_id"]
                fault = self._take_fault(request.path)
                if fault is not None and fault.kind == "late":
                    time.sleep(fault.delay_s)
                elif fault is not None and not fault.after:
                    self._apply_fault(fault)
                data = handler(request, call)
                if fault is not None and fault.kind != "late" and fault.after:
                    self._apply_fault(fault)
                entry["code"] = 0
                return self.envelope(c.OK, "Success", request_id, data)
            except c.ApiError as err:
                entry["code"] = err.code
                headers = {"retry-after": "1"} if err.code == c.TOO_MANY_REQUESTS else None
                return self.envelope(err.code, err.message, request_id, None, status=err.http_status, headers=headers)
            except Exception:  # a sandbox bug: logged as an internal error, shown by the server as a 500
                entry["code"] = c.INTERNAL_ERROR
                raise
            finally:
                with self._log_lock:
                    self._log.append(entry)
                    if len(self._log) > 20000:
                        del self._log[:5000]

        self.router.add(method, pattern, gated)

    def envelope(
        self,
        code: int,
        message: str,
        request_id: str,
        data: Any,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response:
        payload = {"code": code, "message": message, "request_id": request_id, "data": data}
        return json_response(payload, status, {"x-tt-logid": request_id, **(headers or {})})

    # --- the gate -----------------------------------------------------------------------------

    def _gate(self, request: Request, pattern: str, cipher_accepted: bool, request_id: str) -> Call:
        query = {k: v[0] for k, v in request.query.items()}
        if query.get("app_key") != self.app_key:
            raise c.ApiError(c.BAD_PARAMETER, "Invalid credentials: unknown app_key", 401)
        raw_ts = query.get("timestamp", "")
        if not (raw_ts.isdigit() and len(raw_ts) == 10):
            raise c.ApiError(c.BAD_PARAMETER, "Invalid timestamp: 10-digit Unix seconds expected", 400)
        now = time.time()
        if not now - TIMESTAMP_PAST_S <= int(raw_ts) <= now + TIMESTAMP_FUTURE_S:
            raise c.ApiError(c.BAD_PARAMETER, "Timestamp is out of the allowed range", 400)
        multipart = (request.header("content-type") or "").startswith("multipart/")
        expected = sign(self.app_secret, request.path, query, b"" if multipart else request.body)
        if not hmac.compare_digest(expected, query.get("sign", "")):
            raise c.ApiError(c.INVALID_SIGNATURE, "The signature is invalid", 401)
        seller = self._seller_for_token(request.header("x-tts-access-token") or "")
        shop: Shop | None = None
        if cipher_accepted:
            given = query.get("shop_cipher")
            if not given:
                raise c.ApiError(c.MISSING_SHOP_CIPHER, "shop_cipher is required", 400)
            with self.state.lock:
                shop = self.state.shop_by_cipher(given)
            if shop is None or shop.seller_id != seller.id:
                raise c.ApiError(c.TOKEN_SHOP_MISMATCH, "The access token does not match the shop", 400)
        elif "shop_cipher" in query:
            raise c.ApiError(c.BAD_PARAMETER, "Unexpected identifier: shop_cipher", 400)
        for prefix, scope in SCOPES.items():
            if request.path.startswith(prefix) and scope not in seller.granted_scopes:
                raise c.ApiError(c.SCOPE_NOT_GRANTED, "you should apply auth pkg for this api", 401)
        scope_id = shop.id if shop else f"seller:{seller.id}"
        self._rate_limit(scope_id, pattern)
        body: Any = None
        if request.body and not multipart:
            try:
                body = json.loads(request.body)
            except ValueError:
                raise c.ApiError(c.BAD_PARAMETER, "The body is not valid JSON", 400) from None
        return Call(seller=seller, shop=shop, request_id=request_id, pattern=pattern, body=body)

    def _seller_for_token(self, value: str) -> Seller:
        with self.state.lock:
            token = self.state.tokens.get(value)
            if token is None or token.kind != "access":
                raise c.ApiError(c.INVALID_ACCESS_TOKEN, "Invalid access token", 401)
            if token.expires_at <= time.time():
                raise c.ApiError(c.TOKEN_EXPIRED, "Access token is expired, please refresh it", 401)
            seller = self.state.sellers.get(token.seller_id)
            if seller is None:
                raise c.ApiError(c.INVALID_ACCESS_TOKEN, "Invalid access token", 401)
            return seller

    def _rate_limit(self, scope_id: str, pattern: str) -> None:
        rate = self.config.rate_limits.get(pattern, self.config.rate_limit_per_second)
        if rate <= 0:
            return
        key = (scope_id, pattern)
        now = time.monotonic()
        with self._rl_lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = Bucket(tokens=rate, stamp=now)
            bucket.tokens = min(rate, bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
            if bucket.tokens < 1.0:
                raise c.ApiError(c.TOO_MANY_REQUESTS, "Too many requests", 429)
            bucket.tokens -= 1.0

    def reset_rate_limits(self) -> None:
        with self._rl_lock:
            self._buckets.clear()

    # --- search lag ---------------------------------------------------------------------------

    def clear_search_index(self) -> None:
        self._search_index.clear()

    def searchable(self, items: list[T]) -> list[T]:
        """What product / order search sees under a search lag: an item written within the lag
        shows as the version search last held (or not at all if it held none). Call with the
        state lock held."""
        lag = self.config.search_lag_s
        if lag <= 0:
            return items
        settled_before = time.monotonic() - lag
        visible: list[T] = []
        for item in items:
            written_at: float = getattr(item, "written_at", 0.0)
            key: str = getattr(item, "id", "")
            if written_at <= settled_before:
                held = self._search_index.get(key)
                if held is None or held[0] != written_at:
                    self._search_index[key] = (written_at, copy.deepcopy(item))
                visible.append(item)
            elif key in self._search_index:
                visible.append(self._search_index[key][1])
        return visible

    # --- faults -----------------------------------------------------------------------------

    def start_outage(self, seconds: float | None = None) -> None:
        """Every API call answers 503 (code 36009003) for ``seconds`` (``None``: until ended)."""
        with self._rl_lock:
            self._outage_until = time.monotonic() + (seconds if seconds is not None else 10.0**9)

    def end_outage(self) -> None:
        with self._rl_lock:
            self._outage_until = None

    def in_outage(self) -> bool:
        with self._rl_lock:
            return self._outage_until is not None and time.monotonic() < self._outage_until

    def add_fault(self, fault: Fault) -> None:
        with self._rl_lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._rl_lock:
            self._faults.clear()

    def faults(self) -> list[Fault]:
        with self._rl_lock:
            return list(self._faults)

    def _take_fault(self, path: str) -> Fault | None:
        with self._rl_lock:
            for fault in self._faults:
                if fault.remaining > 0 and (fault.path is None or fault.path in path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _apply_fault(self, fault: Fault) -> None:
        if fault.kind == "rate_limit":
            raise c.ApiError(c.TOO_MANY_REQUESTS, "Too many requests", 429)
        if fault.kind == "timeout":
            time.sleep(fault.delay_s)
            raise c.ApiError(c.GATEWAY_TIMEOUT, "Gateway timeout", 504)
        raise c.ApiError(fault.code, "Internal error, please retry", fault.status)

    # --- request log ----------------------------------------------------------------------

    def requests(self, path: str | None = None, pattern: str | None = None) -> list[dict[str, Any]]:
        with self._log_lock:
            return [
                dict(e)
                for e in self._log
                if (path is None or e["path"] == path) and (pattern is None or e["pattern"] == pattern)
            ]

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    # --- inventory timeline ---------------------------------------------------------------

    def log_inventory_write(self, product_id: str, sku_id: str, inventory: dict[str, int]) -> None:
        """One SKU's figures as an inventory update applied them (when, per warehouse)."""
        with self._log_lock:
            self._inventory_writes.append({"t": time.time(), "product_id": product_id, "sku_id": sku_id,
                                           "inventory": dict(inventory), "quantity": sum(inventory.values())})
            if len(self._inventory_writes) > 200000:
                del self._inventory_writes[:50000]

    def inventory_writes(self, product_id: str | None = None) -> list[dict[str, Any]]:
        """The timeline of applied inventory writes, oldest first (``t``: when it was applied)."""
        with self._log_lock:
            return [dict(e) for e in self._inventory_writes if product_id is None or e["product_id"] == product_id]

    def clear_inventory_writes(self) -> None:
        with self._log_lock:
            self._inventory_writes.clear()


# --- paging -----------------------------------------------------------------------------------


def page(items: list[Any], query: dict[str, list[str]], *, default_size: int = 20) -> tuple[list[Any], str, int]:
    """Slice ``items`` by ``page_size`` / ``page_token`` (an opaque offset)."""
    raw_size = (query.get("page_size") or [str(default_size)])[0]
    if not raw_size.isdigit() or not 1 <= int(raw_size) <= 100:
        raise c.ApiError(c.BAD_PARAMETER, "page_size must be 1-100", 400)
    size = int(raw_size)
    token = (query.get("page_token") or [""])[0]
    offset = 0
    if token:
        try:
            offset = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("offset:"))
        except (ValueError, UnicodeDecodeError):
            raise c.ApiError(c.BAD_PARAMETER, "Invalid page_token", 400) from None
    chunk = items[offset : offset + size]
    following = offset + size
    next_token = base64.urlsafe_b64encode(f"offset:{following}".encode()).decode() if following < len(items) else ""
    return chunk, next_token, len(items)
