"""The TikTok Shop Open API client (each operation at its current version), on ``httpx.Client``.

One instance per app (and, through :meth:`TikTokClient.with_tokens`, per seller): it signs
every request (``connector.tiktok.signing``), sends the body bytes it signed, puts the access
token in ``x-tts-access-token``, adds ``shop_cipher`` only to the calls that accept it, and
turns TikTok's answers into models or typed errors (``connector.tiktok.errors``).

Resilience, in one loop (:meth:`TikTokClient.request`):
- every attempt first takes a permit from the :class:`~connector.ratelimit.RateLimiter` under
  ``tiktok#<shop id | app:<key>>#<path template>`` at 50 requests/s by default (TikTok's published limit);
- 105002 (token expired): ask the token provider for a fresh token once, then retry;
- 36009002 / HTTP 429: pause the limiter key (honouring ``Retry-After``) and retry;
- HTTP 5xx, 36009003, 36009007, timeouts and connection failures: back off with jitter, retry;
- anything else raises at once.
A retry re-signs with a fresh timestamp but sends the same body bytes. Creates carry an
``idempotency_key`` (made here when the caller gave none) so a retried create cannot list twice.

Nothing here logs or raises a token, secret, code or query string.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from connector.ratelimit import LocalRateLimiter, RateLimiter
from connector.tiktok import errors as e
from connector.tiktok.models import (
    Attribute,
    AuthorizedShop,
    Brand,
    BulkProductResult,
    Cancellation,
    Category,
    CategoryRules,
    CreateProductResult,
    DeliveryOption,
    InventoryRecord,
    ListingCheckResult,
    MarkShippedResult,
    Order,
    Package,
    Page,
    Prerequisites,
    PriceDetail,
    Product,
    ProductInput,
    ProductSummary,
    RecommendedCategory,
    Return,
    SellerCancelResult,
    ShippingProvider,
    SkuInventoryUpdate,
    SkuPriceUpdate,
    TokenSet,
    UploadedImage,
    Warehouse,
)
from connector.tiktok.oauth import TokenProvider, authorization_link
from connector.tiktok.settings import TikTokEndpoints
from connector.tiktok.signing import QueryValue, query_value, serialize_body, sign_request

log = logging.getLogger("connector.tiktok")

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

#: TikTok's published default: 50 requests per second per API per app+shop.
DEFAULT_RATE_PER_SECOND = 50.0
#: Most ids one detail / bulk call accepts.
ORDER_DETAIL_BATCH = 50
PRODUCT_BULK_BATCH = 20
#: ``tiktok_code`` of failures that never reached TikTok (timeouts, refused connections).
TRANSPORT_FAILURE = -1

# --- paths (versions live here and nowhere else) -----------------------------------------
AUTH_TOKEN_GET = "/api/v2/token/get"  # noqa: S105 (a path)
AUTH_TOKEN_REFRESH = "/api/v2/token/refresh"  # noqa: S105 (a path)
SHOPS = "/authorization/202309/shops"
CATEGORIES = "/product/202309/categories"
CATEGORY_RULES = "/product/202309/categories/{category_id}/rules"
CATEGORY_ATTRIBUTES = "/product/202309/categories/{category_id}/attributes"
CATEGORY_RECOMMEND = "/product/202309/categories/recommend"
BRANDS = "/product/202309/brands"
IMAGES_UPLOAD = "/product/202309/images/upload"
PRODUCTS = "/product/202309/products"
PRODUCT = "/product/202309/products/{product_id}"
PRODUCT_EDIT = "/product/202509/products/{product_id}"
PRODUCT_PARTIAL_EDIT = "/product/202509/products/{product_id}/partial_edit"
PRODUCTS_SEARCH = "/product/202502/products/search"
PRODUCTS_ACTIVATE = "/product/202309/products/activate"
PRODUCTS_DEACTIVATE = "/product/202309/products/deactivate"
PRODUCTS_RECOVER = "/product/202309/products/recover"
PRODUCT_INVENTORY_UPDATE = "/product/202309/products/{product_id}/inventory/update"
PRODUCT_PRICES_UPDATE = "/product/202309/products/{product_id}/prices/update"
INVENTORY_SEARCH = "/product/202309/inventory/search"
LISTING_CHECK = "/product/202309/products/listing_check"
PREREQUISITES = "/product/202312/prerequisites"
WAREHOUSES = "/logistics/202309/warehouses"
DELIVERY_OPTIONS = "/logistics/202309/warehouses/{warehouse_id}/delivery_options"
SHIPPING_PROVIDERS = "/logistics/202309/delivery_options/{delivery_option_id}/shipping_providers"
ORDERS_SEARCH = "/order/202309/orders/search"
ORDERS_DETAIL = "/order/202507/orders"
ORDER_PRICE_DETAIL = "/order/202407/orders/{order_id}/price_detail"
PACKAGES_SEARCH = "/fulfillment/202309/packages/search"
PACKAGE = "/fulfillment/202309/packages/{package_id}"
PACKAGE_SHIP = "/fulfillment/202309/packages/{package_id}/ship"
PACKAGE_SHIPPING_INFO = "/fulfillment/202309/packages/{package_id}/shipping_info/update"
ORDER_MARK_SHIPPED = "/fulfillment/202309/orders/{order_id}/packages"
ORDER_SHIPPING_INFO = "/fulfillment/202309/orders/{order_id}/shipping_info/update"
CANCELLATIONS = "/return_refund/202309/cancellations"
CANCELLATIONS_SEARCH = "/return_refund/202309/cancellations/search"
CANCELLATION_APPROVE = "/return_refund/202309/cancellations/{cancel_id}/approve"
CANCELLATION_REJECT = "/return_refund/202309/cancellations/{cancel_id}/reject"
RETURNS_SEARCH = "/return_refund/202309/returns/search"
RETURN_APPROVE = "/return_refund/202309/returns/{return_id}/approve"
RETURN_REJECT = "/return_refund/202309/returns/{return_id}/reject"

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
    return not (method.upper() == "POST" and path == BRANDS)


@dataclass(frozen=True)
class ShopRef:
    """The shop a call is about: its id (rate-limit scope) and cipher (``shop_cipher``)."""

    id: str
    cipher: str = field(repr=False)


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


class ImageCache(Protocol):
    """Remembers uploaded images so each distinct image is uploaded once per shop."""

    def get(self, key: str) -> UploadedImage | None: ...

    def put(self, key: str, image: UploadedImage) -> None: ...


class InMemoryImageCache:
    def __init__(self) -> None:
        self._items: dict[str, UploadedImage] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> UploadedImage | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: str, image: UploadedImage) -> None:
        with self._lock:
            self._items[key] = image


def image_cache_key(shop_id: str, use_case: str, data: bytes) -> str:
    return f"{shop_id}#{use_case}#{hashlib.sha256(data).hexdigest()}"


def poll_window(
    last_until: int | None, now: int, *, overlap_s: int = 300, first_lookback_s: int = 86400
) -> tuple[int, int]:
    """The ``[update_time_ge, update_time_lt)`` window of the next order poll.

    Windows overlap by ``overlap_s`` because an order's ``update_time`` can land behind a
    window that was already read; readers dedupe by id + update time.
    """
    start = (now - first_lookback_s) if last_until is None else (last_until - overlap_s)
    return max(0, start), now


def _scrub(text: str, secrets: Iterable[str | None]) -> str:
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


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _parse(model: type[M], data: Any) -> M:
    """Validate an answer; a malformed one is an :class:`~errors.UnexpectedAnswer` naming only
    the fields at fault (pydantic's own text quotes input values, which may be tokens)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()})
        raise e.UnexpectedAnswer(
            e.UNEXPECTED_ANSWER, f"{model.__name__} answer malformed at: {', '.join(fields)[:300]}"
        ) from None


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
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


class TikTokClient:
    """TikTok Shop Open API. Shop-scoped methods take a :class:`ShopRef` first."""

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        *,
        api_base: str | None = None,
        auth_base: str | None = None,
        authorize_url: str | Mapping[str, str] | None = None,
        http: httpx.Client | None = None,
        limiter: RateLimiter | None = None,
        tokens: TokenProvider | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rnd: Callable[[], float] = random.random,
        retry: RetryPolicy | None = None,
        rate_per_second: float = DEFAULT_RATE_PER_SECOND,
        rates: Mapping[str, float] | None = None,
        image_cache: ImageCache | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        env = TikTokEndpoints.from_env()
        if isinstance(authorize_url, str):  # the default link; per-region ones still come from the env
            links: Mapping[str, str] = {**env.authorize_urls, "": authorize_url}
        else:
            links = authorize_url if authorize_url is not None else env.authorize_urls
        self.endpoints = TikTokEndpoints(
            api_base=(api_base or env.api_base).rstrip("/"),
            auth_base=(auth_base or env.auth_base).rstrip("/"),
            authorize_urls=dict(links),
        )
        self.app_key = app_key
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
        self._images: ImageCache = image_cache if image_cache is not None else InMemoryImageCache()

    def __repr__(self) -> str:
        return f"TikTokClient(app_key={self.app_key!r}, api_base={self.endpoints.api_base!r})"

    def with_tokens(self, tokens: TokenProvider) -> TikTokClient:
        """This client (same HTTP pool, limiter, image cache) acting for one seller."""
        bound = copy.copy(self)
        bound._tokens = tokens
        return bound

    def with_limiter(self, limiter: RateLimiter) -> TikTokClient:
        """This client (same HTTP pool, tokens, image cache) pacing its calls with ``limiter``
        (e.g. a :class:`~connector.ratelimit.DynamoRateLimiter` shared by concurrent workers)."""
        bound = copy.copy(self)
        bound._limiter = limiter
        return bound

    def close(self) -> None:
        self._http.close()

    # --- the request pipeline ------------------------------------------------------------

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
            _scrub(message, secrets),
            request_id=request_id,
            http_status=status,
            path=path_template,
            retry_after=_retry_after(response),
        )

    def _auth_get(self, path: str, params: Mapping[str, str], secrets: Sequence[str]) -> dict[str, Any]:
        """An unsigned GET on the auth host (the app secret travels in the query: spec 2)."""
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

    # --- OAuth ---------------------------------------------------------------------------

    def authorization_url(self, state: str, *, region: str | None = None) -> str:
        """The seller authorization link for ``region`` with ``state`` appended."""
        return authorization_link(self.endpoints.authorize_url(region), state)

    def get_access_token(self, auth_code: str) -> TokenSet:
        data = self._auth_get(
            AUTH_TOKEN_GET,
            {
                "app_key": self.app_key,
                "app_secret": self._app_secret,
                "auth_code": auth_code,
                "grant_type": "authorized_code",
            },
            (auth_code,),
        )
        return _parse(TokenSet, data)

    def refresh_access_token(self, refresh_token: str) -> TokenSet:
        data = self._auth_get(
            AUTH_TOKEN_REFRESH,
            {
                "app_key": self.app_key,
                "app_secret": self._app_secret,
                "refresh_token": refresh_token,
                "grant_type": "refresh_token",  # not authorized_code (the Node SDK's bug)
            },
            (refresh_token,),
        )
        return _parse(TokenSet, data)

    def get_authorized_shops(self, *, access_token: str | None = None) -> list[AuthorizedShop]:
        data = self.request("GET", SHOPS, access_token=access_token)
        return [_parse(AuthorizedShop, s) for s in data.get("shops") or []]

    # --- products: reference data ------------------------------------------------------

    def get_categories(
        self, shop: ShopRef, *, category_version: str | None = None, keyword: str | None = None
    ) -> list[Category]:
        data = self.request(
            "GET", CATEGORIES, shop=shop, query={"category_version": category_version, "keyword": keyword}
        )
        return [_parse(Category, c) for c in data.get("categories") or []]

    def get_category_rules(
        self, shop: ShopRef, category_id: str, *, category_version: str | None = None
    ) -> CategoryRules:
        data = self.request(
            "GET",
            CATEGORY_RULES,
            shop=shop,
            path_params={"category_id": category_id},
            query={"category_version": category_version},
        )
        return _parse(CategoryRules, data)

    def get_attributes(
        self, shop: ShopRef, category_id: str, *, category_version: str | None = None
    ) -> list[Attribute]:
        data = self.request(
            "GET",
            CATEGORY_ATTRIBUTES,
            shop=shop,
            path_params={"category_id": category_id},
            query={"category_version": category_version},
        )
        return [_parse(Attribute, a) for a in data.get("attributes") or []]

    def get_brands(
        self,
        shop: ShopRef,
        *,
        category_id: str | None = None,
        brand_name: str | None = None,
        category_version: str | None = None,
        page_size: int = 100,
        page_token: str | None = None,
    ) -> Page[Brand]:
        data = self.request(
            "GET",
            BRANDS,
            shop=shop,
            query={
                "page_size": page_size,
                "page_token": page_token,
                "category_id": category_id,
                "brand_name": brand_name,
                "category_version": category_version,
            },
        )
        return self._page(data, "brands", Brand)

    def create_brand(self, shop: ShopRef, name: str) -> str:
        """Create a custom brand (no ``shop_cipher`` on this call); returns its id."""
        data = self.request("POST", BRANDS, shop=shop, json={"name": name})
        return str(data.get("id") or data.get("brand_id") or "")

    def recommend_category(
        self,
        shop: ShopRef,
        product_title: str,
        *,
        description: str | None = None,
        image_uris: Sequence[str] | None = None,
        category_version: str | None = None,
    ) -> RecommendedCategory:
        body = _drop_none(
            {
                "product_title": product_title,
                "description": description,
                "images": [{"uri": uri} for uri in image_uris] if image_uris else None,
                "category_version": category_version,
            }
        )
        data = self.request("POST", CATEGORY_RECOMMEND, shop=shop, json=body)
        return _parse(RecommendedCategory, data)

    def upload_image(
        self, shop: ShopRef, data: bytes, *, use_case: str = "MAIN_IMAGE", filename: str = "image"
    ) -> UploadedImage:
        """Upload image bytes (URLs are refused by TikTok), once per distinct image and shop."""
        key = image_cache_key(shop.id, use_case, data)
        cached = self._images.get(key)
        if cached is not None:
            return cached
        answer = self.request(
            "POST",
            IMAGES_UPLOAD,
            shop=shop,
            files={"data": (filename, data, "application/octet-stream")},
            form={"use_case": use_case},
        )
        image = _parse(UploadedImage, answer)
        self._images.put(key, image)
        return image

    # --- products: listings ------------------------------------------------------------

    def create_product(self, shop: ShopRef, product: ProductInput) -> CreateProductResult:
        if product.idempotency_key is None:
            product = product.model_copy(update={"idempotency_key": uuid.uuid4().hex})
        data = self.request("POST", PRODUCTS, shop=shop, json=product.wire())
        return _parse(CreateProductResult, data)

    def check_listing(self, shop: ShopRef, product: ProductInput) -> ListingCheckResult:
        data = self.request("POST", LISTING_CHECK, shop=shop, json=product.wire())
        return _parse(ListingCheckResult, data)

    def edit_product(self, shop: ShopRef, product_id: str, product: ProductInput) -> CreateProductResult:
        """Full replace (PUT): TikTok blanks whatever is omitted, so send everything."""
        data = self.request("PUT", PRODUCT_EDIT, shop=shop, path_params={"product_id": product_id}, json=product.wire())
        data.setdefault("product_id", product_id)
        return _parse(CreateProductResult, data)

    def partial_edit_product(
        self, shop: ShopRef, product_id: str, fields: Mapping[str, Any] | BaseModel
    ) -> CreateProductResult:
        """Replace the given top-level fields only (each one replaced whole)."""
        if isinstance(fields, BaseModel):
            body = fields.model_dump(mode="json", exclude_none=True, exclude_unset=True, by_alias=True)
        else:
            body = dict(fields)
        data = self.request("POST", PRODUCT_PARTIAL_EDIT, shop=shop, path_params={"product_id": product_id}, json=body)
        data.setdefault("product_id", product_id)
        return _parse(CreateProductResult, data)

    def get_product(self, shop: ShopRef, product_id: str) -> Product:
        data = self.request("GET", PRODUCT, shop=shop, path_params={"product_id": product_id})
        return _parse(Product, data)

    def search_products(
        self,
        shop: ShopRef,
        *,
        status: str | None = None,
        seller_skus: Sequence[str] | None = None,
        create_time_ge: int | None = None,
        create_time_le: int | None = None,
        update_time_ge: int | None = None,
        update_time_le: int | None = None,
        page_size: int = 100,
        page_token: str | None = None,
    ) -> Page[ProductSummary]:
        body = _drop_none(
            {
                "status": status,
                "seller_skus": list(seller_skus) if seller_skus else None,
                "create_time_ge": create_time_ge,
                "create_time_le": create_time_le,
                "update_time_ge": update_time_ge,
                "update_time_le": update_time_le,
            }
        )
        data = self.request(
            "POST",
            PRODUCTS_SEARCH,
            shop=shop,
            query={"page_size": page_size, "page_token": page_token},
            json=body,
        )
        return self._page(data, "products", ProductSummary)

    def iter_products(self, shop: ShopRef, **filters: Any) -> Iterator[ProductSummary]:
        return _paged(lambda token: self.search_products(shop, page_token=token, **filters))

    def activate_products(self, shop: ShopRef, product_ids: Sequence[str]) -> BulkProductResult:
        return self._bulk("POST", PRODUCTS_ACTIVATE, shop, product_ids)

    def deactivate_products(self, shop: ShopRef, product_ids: Sequence[str]) -> BulkProductResult:
        return self._bulk("POST", PRODUCTS_DEACTIVATE, shop, product_ids)

    def delete_products(self, shop: ShopRef, product_ids: Sequence[str]) -> BulkProductResult:
        return self._bulk("DELETE", PRODUCTS, shop, product_ids)

    def recover_products(self, shop: ShopRef, product_ids: Sequence[str]) -> BulkProductResult:
        return self._bulk("POST", PRODUCTS_RECOVER, shop, product_ids)

    def _bulk(self, method: str, path: str, shop: ShopRef, product_ids: Sequence[str]) -> BulkProductResult:
        merged = BulkProductResult()
        for chunk in _chunks(list(dict.fromkeys(product_ids)), PRODUCT_BULK_BATCH):
            data = self.request(method, path, shop=shop, json={"product_ids": list(chunk)})
            merged.errors.extend(_parse(BulkProductResult, data).errors)
        return merged

    def update_inventory(self, shop: ShopRef, product_id: str, skus: Sequence[SkuInventoryUpdate]) -> dict[str, Any]:
        """Absolute quantities; list every warehouse the SKU is assigned to (TikTok's rule)."""
        return self.request(
            "POST",
            PRODUCT_INVENTORY_UPDATE,
            shop=shop,
            path_params={"product_id": product_id},
            json={"skus": [s.wire() for s in skus]},
        )

    def search_inventory(
        self, shop: ShopRef, *, product_ids: Sequence[str] | None = None, sku_ids: Sequence[str] | None = None
    ) -> list[InventoryRecord]:
        body = _drop_none(
            {
                "product_ids": list(product_ids) if product_ids else None,
                "sku_ids": list(sku_ids) if sku_ids else None,
            }
        )
        data = self.request("POST", INVENTORY_SEARCH, shop=shop, json=body)
        return [_parse(InventoryRecord, r) for r in data.get("inventory") or []]

    def update_prices(self, shop: ShopRef, product_id: str, skus: Sequence[SkuPriceUpdate]) -> dict[str, Any]:
        return self.request(
            "POST",
            PRODUCT_PRICES_UPDATE,
            shop=shop,
            path_params={"product_id": product_id},
            json={"skus": [s.wire() for s in skus]},
        )

    def get_prerequisites(self, shop: ShopRef) -> Prerequisites:
        return _parse(Prerequisites, self.request("GET", PREREQUISITES, shop=shop))

    # --- logistics ---------------------------------------------------------------------

    def get_warehouses(self, shop: ShopRef) -> list[Warehouse]:
        data = self.request("GET", WAREHOUSES, shop=shop)
        return [_parse(Warehouse, w) for w in data.get("warehouses") or []]

    def get_delivery_options(self, shop: ShopRef, warehouse_id: str) -> list[DeliveryOption]:
        data = self.request("GET", DELIVERY_OPTIONS, shop=shop, path_params={"warehouse_id": warehouse_id})
        return [_parse(DeliveryOption, d) for d in data.get("delivery_options") or []]

    def get_shipping_providers(self, shop: ShopRef, delivery_option_id: str) -> list[ShippingProvider]:
        data = self.request(
            "GET", SHIPPING_PROVIDERS, shop=shop, path_params={"delivery_option_id": delivery_option_id}
        )
        return [_parse(ShippingProvider, p) for p in data.get("shipping_providers") or []]

    # --- orders --------------------------------------------------------------------------

    def search_orders(
        self,
        shop: ShopRef,
        *,
        order_status: str | None = None,
        create_time_ge: int | None = None,
        create_time_lt: int | None = None,
        update_time_ge: int | None = None,
        update_time_lt: int | None = None,
        shipping_type: str | None = None,
        page_size: int = 50,
        page_token: str | None = None,
        sort_field: str = "update_time",
        sort_order: str = "ASC",
    ) -> Page[Order]:
        body = _drop_none(
            {
                "order_status": order_status,
                "create_time_ge": create_time_ge,
                "create_time_lt": create_time_lt,
                "update_time_ge": update_time_ge,
                "update_time_lt": update_time_lt,
                "shipping_type": shipping_type,
            }
        )
        data = self.request(
            "POST",
            ORDERS_SEARCH,
            shop=shop,
            query={
                "page_size": page_size,
                "page_token": page_token,
                "sort_field": sort_field,
                "sort_order": sort_order,
            },
            json=body,
        )
        return self._page(data, "orders", Order)

    def iter_orders(self, shop: ShopRef, **filters: Any) -> Iterator[Order]:
        return _paged(lambda token: self.search_orders(shop, page_token=token, **filters))

    def iter_orders_changed(
        self, shop: ShopRef, *, since: int, until: int, overlap_s: int = 300, order_status: str | None = None
    ) -> Iterator[Order]:
        """Orders updated in ``[since - overlap_s, until)``, each (id, update_time) once."""
        seen: set[tuple[str, int | None]] = set()
        for order in self.iter_orders(
            shop,
            update_time_ge=max(0, since - overlap_s),
            update_time_lt=until,
            order_status=order_status,
        ):
            marker = (order.id, order.update_time)
            if marker not in seen:
                seen.add(marker)
                yield order

    def get_orders(self, shop: ShopRef, order_ids: Sequence[str]) -> list[Order]:
        """Order details, fetched in batches of 50 ids."""
        orders: list[Order] = []
        for chunk in _chunks(list(dict.fromkeys(order_ids)), ORDER_DETAIL_BATCH):
            data = self.request("GET", ORDERS_DETAIL, shop=shop, query={"ids": list(chunk)})
            orders.extend(_parse(Order, o) for o in data.get("orders") or [])
        return orders

    def get_order_price_detail(self, shop: ShopRef, order_id: str) -> PriceDetail:
        data = self.request("GET", ORDER_PRICE_DETAIL, shop=shop, path_params={"order_id": order_id})
        return _parse(PriceDetail, data)

    # --- fulfillment -------------------------------------------------------------------

    def search_packages(
        self,
        shop: ShopRef,
        *,
        package_status: str | None = None,
        create_time_ge: int | None = None,
        create_time_lt: int | None = None,
        update_time_ge: int | None = None,
        update_time_lt: int | None = None,
        page_size: int = 50,
        page_token: str | None = None,
    ) -> Page[Package]:
        body = _drop_none(
            {
                "package_status": package_status,
                "create_time_ge": create_time_ge,
                "create_time_lt": create_time_lt,
                "update_time_ge": update_time_ge,
                "update_time_lt": update_time_lt,
            }
        )
        data = self.request(
            "POST",
            PACKAGES_SEARCH,
            shop=shop,
            query={"page_size": page_size, "page_token": page_token},
            json=body,
        )
        return self._page(data, "packages", Package)

    def get_package(self, shop: ShopRef, package_id: str) -> Package:
        data = self.request("GET", PACKAGE, shop=shop, path_params={"package_id": package_id})
        data.setdefault("package_id", package_id)
        return _parse(Package, data)

    def ship_package(
        self,
        shop: ShopRef,
        package_id: str,
        *,
        handover_method: str = "DROP_OFF",
        pickup_slot: Mapping[str, int] | None = None,
        tracking_number: str | None = None,
        shipping_provider_id: str | None = None,
    ) -> dict[str, Any]:
        """Ship a package; pass ``tracking_number`` + ``shipping_provider_id`` for SEND_BY_SELLER."""
        self_shipment = (
            {"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id}
            if tracking_number is not None
            else None
        )
        body = _drop_none(
            {
                "handover_method": handover_method,
                "pickup_slot": dict(pickup_slot) if pickup_slot else None,
                "self_shipment": self_shipment,
            }
        )
        return self.request("POST", PACKAGE_SHIP, shop=shop, path_params={"package_id": package_id}, json=body)

    def mark_package_shipped(
        self,
        shop: ShopRef,
        order_id: str,
        *,
        tracking_number: str,
        shipping_provider_id: str,
        order_line_item_ids: Sequence[str] | None = None,
    ) -> MarkShippedResult:
        body = _drop_none(
            {
                "tracking_number": tracking_number,
                "shipping_provider_id": shipping_provider_id,
                "order_line_item_ids": list(order_line_item_ids) if order_line_item_ids else None,
            }
        )
        data = self.request("POST", ORDER_MARK_SHIPPED, shop=shop, path_params={"order_id": order_id}, json=body)
        return _parse(MarkShippedResult, data)

    def update_shipping_info(
        self, shop: ShopRef, order_id: str, *, tracking_number: str, shipping_provider_id: str
    ) -> dict[str, Any]:
        """Correct the tracking of a seller-shipped order (within 72 h of shipping)."""
        return self.request(
            "POST",
            ORDER_SHIPPING_INFO,
            shop=shop,
            path_params={"order_id": order_id},
            json={"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id},
        )

    def update_package_shipping_info(
        self, shop: ShopRef, package_id: str, *, tracking_number: str, shipping_provider_id: str
    ) -> dict[str, Any]:
        return self.request(
            "POST",
            PACKAGE_SHIPPING_INFO,
            shop=shop,
            path_params={"package_id": package_id},
            json={"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id},
        )

    # --- cancellations and returns -----------------------------------------------------

    def search_cancellations(
        self,
        shop: ShopRef,
        *,
        order_ids: Sequence[str] | None = None,
        cancel_ids: Sequence[str] | None = None,
        cancel_status: Sequence[str] | None = None,
        cancel_types: Sequence[str] | None = None,
        create_time_ge: int | None = None,
        create_time_lt: int | None = None,
        update_time_ge: int | None = None,
        update_time_lt: int | None = None,
        page_size: int = 50,
        page_token: str | None = None,
    ) -> Page[Cancellation]:
        body = _drop_none(
            {
                "order_ids": list(order_ids) if order_ids else None,
                "cancel_ids": list(cancel_ids) if cancel_ids else None,
                "cancel_status": list(cancel_status) if cancel_status else None,
                "cancel_types": list(cancel_types) if cancel_types else None,
                "create_time_ge": create_time_ge,
                "create_time_lt": create_time_lt,
                "update_time_ge": update_time_ge,
                "update_time_lt": update_time_lt,
            }
        )
        data = self.request(
            "POST",
            CANCELLATIONS_SEARCH,
            shop=shop,
            query={"page_size": page_size, "page_token": page_token},
            json=body,
        )
        return self._page(data, "cancellations", Cancellation)

    def approve_cancellation(self, shop: ShopRef, cancel_id: str, *, idempotency_key: str | None = None) -> None:
        self.request(
            "POST",
            CANCELLATION_APPROVE,
            shop=shop,
            path_params={"cancel_id": cancel_id},
            query={"idempotency_key": idempotency_key or uuid.uuid4().hex},
            json={},
        )

    def reject_cancellation(
        self,
        shop: ShopRef,
        cancel_id: str,
        *,
        reject_reason: str,
        comment: str | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        self.request(
            "POST",
            CANCELLATION_REJECT,
            shop=shop,
            path_params={"cancel_id": cancel_id},
            query={"idempotency_key": idempotency_key or uuid.uuid4().hex},
            json=_drop_none({"reject_reason": reject_reason, "comment": comment}),
        )

    def cancel_order(
        self,
        shop: ShopRef,
        order_id: str,
        *,
        cancel_reason: str,
        order_line_item_ids: Sequence[str] | None = None,
        skus: Sequence[Mapping[str, Any]] | None = None,
    ) -> SellerCancelResult:
        """Seller-initiated cancellation (whole order, or some line items / SKUs)."""
        body = _drop_none(
            {
                "order_id": order_id,
                "cancel_reason": cancel_reason,
                "order_line_item_ids": list(order_line_item_ids) if order_line_item_ids else None,
                "skus": [dict(s) for s in skus] if skus else None,
            }
        )
        data = self.request("POST", CANCELLATIONS, shop=shop, json=body)
        return _parse(SellerCancelResult, data)

    def search_returns(
        self,
        shop: ShopRef,
        *,
        order_ids: Sequence[str] | None = None,
        return_ids: Sequence[str] | None = None,
        return_status: Sequence[str] | None = None,
        create_time_ge: int | None = None,
        create_time_lt: int | None = None,
        update_time_ge: int | None = None,
        update_time_lt: int | None = None,
        page_size: int = 50,
        page_token: str | None = None,
    ) -> Page[Return]:
        body = _drop_none(
            {
                "order_ids": list(order_ids) if order_ids else None,
                "return_ids": list(return_ids) if return_ids else None,
                "return_status": list(return_status) if return_status else None,
                "create_time_ge": create_time_ge,
                "create_time_lt": create_time_lt,
                "update_time_ge": update_time_ge,
                "update_time_lt": update_time_lt,
            }
        )
        data = self.request(
            "POST",
            RETURNS_SEARCH,
            shop=shop,
            query={"page_size": page_size, "page_token": page_token},
            json=body,
        )
        return self._page(data, "return_orders", Return)

    def approve_return(
        self,
        shop: ShopRef,
        return_id: str,
        *,
        decision: str = "APPROVE_REFUND",
        idempotency_key: str | None = None,
    ) -> None:
        self.request(
            "POST",
            RETURN_APPROVE,
            shop=shop,
            path_params={"return_id": return_id},
            query={"idempotency_key": idempotency_key or uuid.uuid4().hex},
            json={"decision": decision},
        )

    def reject_return(
        self,
        shop: ShopRef,
        return_id: str,
        *,
        reject_reason: str,
        comment: str | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        self.request(
            "POST",
            RETURN_REJECT,
            shop=shop,
            path_params={"return_id": return_id},
            query={"idempotency_key": idempotency_key or uuid.uuid4().hex},
            json=_drop_none({"reject_reason": reject_reason, "comment": comment}),
        )

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    def _page(data: Mapping[str, Any], key: str, model: type[M]) -> Page[M]:
        token = data.get("next_page_token") or None
        total = data.get("total_count")
        return Page[model](  # type: ignore[valid-type]
            items=[_parse(model, item) for item in data.get(key) or []],
            next_page_token=str(token) if token else None,
            total_count=int(total) if total is not None else None,
        )


def default_sales_warehouse(warehouses: Iterable[Warehouse]) -> Warehouse | None:
    """The warehouse product inventory goes to: the enabled default SALES warehouse."""
    sales = [w for w in warehouses if w.type == "SALES_WAREHOUSE" and w.effect_status in (None, "ENABLED")]
    for warehouse in sales:
        if warehouse.is_default:
            return warehouse
    return sales[0] if sales else None


def _paged(fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
    token: str | None = None
    seen_tokens: set[str] = set()
    while True:
        page = fetch(token)
        yield from page.items
        token = page.next_page_token
        if not token or token in seen_tokens:  # a repeated token would loop forever
            return
        seen_tokens.add(token)
