"""The TikTok Shop Open API client: one :class:`~connector.tiktok.transport.Transport` and one
service per API area, bound to it.

    client = TikTokClient(app_key, app_secret).with_tokens(tokens)
    client.orders.get(shop, ["576..."])          # the area services
    client.get_orders(shop, ["576..."])          # the same call, as the features write it

The services (``auth``, ``products``, ``logistics``, ``orders``, ``fulfillment``,
``after_sales``) hold the calls; the transport holds signing, the request loop, retries, rate
limits and error mapping. The client also answers every call by its flat name
(``get_orders``, ``search_returns``...), which is what :class:`~connector.tiktok.protocol.TikTokShop`
lists for the features: each flat name forwards to the service method of the same signature,
and the flat searches take the filter fields as keywords and build the filter model.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

import httpx

from connector.ratelimit import RateLimiter
from connector.tiktok.after_sales import AfterSalesService
from connector.tiktok.auth import AuthService
from connector.tiktok.filters import CancellationFilter, OrderFilter, PackageFilter, ProductFilter, ReturnFilter
from connector.tiktok.fulfillment import FulfillmentService
from connector.tiktok.logistics import LogisticsService, default_sales_warehouse
from connector.tiktok.models import Cancellation, Order, Package, Page, ProductSummary, Return
from connector.tiktok.oauth import TokenProvider
from connector.tiktok.orders import OrdersService, poll_window
from connector.tiktok.products import ImageCache, InMemoryImageCache, ProductsService
from connector.tiktok.protocol import ShopRef
from connector.tiktok.settings import TikTokEndpoints
from connector.tiktok.transport import (
    DEFAULT_RATE_PER_SECOND,
    TRANSPORT_FAILURE,
    RetryPolicy,
    Transport,
    accepts_cipher,
    paged,
)

__all__ = [
    "DEFAULT_RATE_PER_SECOND",
    "TRANSPORT_FAILURE",
    "ImageCache",
    "InMemoryImageCache",
    "RetryPolicy",
    "ShopRef",
    "TikTokClient",
    "accepts_cipher",
    "default_sales_warehouse",
    "poll_window",
]

P = ParamSpec("P")
R = TypeVar("R")


class _Forward(Generic[P, R]):
    """A client attribute that is one service's method: ``get_orders = _Forward("orders", OrdersService.get)``
    makes ``client.get_orders(...)`` call ``client.orders.get(...)``, with the same signature."""

    def __init__(self, service: str, method: Callable[Concatenate[Any, P], R]) -> None:
        self._service = service
        self._method = method.__name__
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, client: None, owner: type) -> _Forward[P, R]: ...

    @overload
    def __get__(self, client: object, owner: type | None = None) -> Callable[P, R]: ...

    def __get__(self, client: object, owner: type | None = None) -> Callable[P, R] | _Forward[P, R]:
        if client is None:
            return self
        method: Callable[P, R] = getattr(getattr(client, self._service), self._method)
        return method


class TikTokClient:
    """TikTok Shop Open API. Shop-scoped methods take a :class:`ShopRef` first."""

    auth: AuthService
    products: ProductsService
    logistics: LogisticsService
    orders: OrdersService
    fulfillment: FulfillmentService
    after_sales: AfterSalesService

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
        endpoints = TikTokEndpoints(
            api_base=(api_base or env.api_base).rstrip("/"),
            auth_base=(auth_base or env.auth_base).rstrip("/"),
            authorize_urls=dict(links),
        )
        transport = Transport(
            app_key,
            app_secret,
            endpoints,
            http=http,
            limiter=limiter,
            tokens=tokens,
            clock=clock,
            sleep=sleep,
            rnd=rnd,
            retry=retry,
            rate_per_second=rate_per_second,
            rates=rates,
            timeout_s=timeout_s,
        )
        self._compose(transport, image_cache if image_cache is not None else InMemoryImageCache())

    def _compose(self, transport: Transport, images: ImageCache) -> None:
        self._transport = transport
        self._images = images
        self.auth = AuthService(transport)
        self.products = ProductsService(transport, images)
        self.logistics = LogisticsService(transport)
        self.orders = OrdersService(transport)
        self.fulfillment = FulfillmentService(transport)
        self.after_sales = AfterSalesService(transport)

    def _rebound(self, transport: Transport) -> TikTokClient:
        bound = object.__new__(type(self))
        bound._compose(transport, self._images)
        return bound

    def __repr__(self) -> str:
        return f"TikTokClient(app_key={self.app_key!r}, api_base={self.endpoints.api_base!r})"

    @property
    def app_key(self) -> str:
        return self._transport.app_key

    @property
    def endpoints(self) -> TikTokEndpoints:
        return self._transport.endpoints

    def with_tokens(self, tokens: TokenProvider) -> TikTokClient:
        """This client (same HTTP pool, limiter, image cache) acting for one seller."""
        return self._rebound(self._transport.with_tokens(tokens))

    def with_limiter(self, limiter: RateLimiter) -> TikTokClient:
        """This client (same HTTP pool, tokens, image cache) pacing its calls with ``limiter``
        (e.g. a :class:`~connector.ratelimit.DynamoRateLimiter` shared by concurrent workers)."""
        return self._rebound(self._transport.with_limiter(limiter))

    def close(self) -> None:
        self._transport.close()

    # --- the raw call (any path; the services use it too) --------------------------------

    request = _Forward("_transport", Transport.request)
    rate_limit_key = _Forward("_transport", Transport.rate_limit_key)

    # --- authorization ---------------------------------------------------------------------

    authorization_url = _Forward("auth", AuthService.authorization_url)
    get_access_token = _Forward("auth", AuthService.get_access_token)
    refresh_access_token = _Forward("auth", AuthService.refresh_access_token)
    get_authorized_shops = _Forward("auth", AuthService.authorized_shops)

    # --- products --------------------------------------------------------------------------

    get_categories = _Forward("products", ProductsService.categories)
    get_category_rules = _Forward("products", ProductsService.category_rules)
    get_attributes = _Forward("products", ProductsService.attributes)
    get_brands = _Forward("products", ProductsService.brands)
    create_brand = _Forward("products", ProductsService.create_brand)
    recommend_category = _Forward("products", ProductsService.recommend_category)
    get_prerequisites = _Forward("products", ProductsService.prerequisites)
    upload_image = _Forward("products", ProductsService.upload_image)
    create_product = _Forward("products", ProductsService.create)
    check_listing = _Forward("products", ProductsService.check_listing)
    edit_product = _Forward("products", ProductsService.edit)
    partial_edit_product = _Forward("products", ProductsService.partial_edit)
    get_product = _Forward("products", ProductsService.get)
    activate_products = _Forward("products", ProductsService.activate)
    deactivate_products = _Forward("products", ProductsService.deactivate)
    delete_products = _Forward("products", ProductsService.delete)
    recover_products = _Forward("products", ProductsService.recover)
    update_inventory = _Forward("products", ProductsService.update_inventory)
    search_inventory = _Forward("products", ProductsService.search_inventory)
    update_prices = _Forward("products", ProductsService.update_prices)

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
        filters = ProductFilter(
            status=status,
            seller_skus=tuple(seller_skus or ()),
            create_time_ge=create_time_ge,
            create_time_le=create_time_le,
            update_time_ge=update_time_ge,
            update_time_le=update_time_le,
        )
        return self.products.search(shop, filters, page_size=page_size, page_token=page_token)

    def iter_products(self, shop: ShopRef, **filters: Any) -> Iterator[ProductSummary]:
        return paged(lambda token: self.search_products(shop, page_token=token, **filters))

    # --- logistics -------------------------------------------------------------------------

    get_warehouses = _Forward("logistics", LogisticsService.warehouses)
    get_delivery_options = _Forward("logistics", LogisticsService.delivery_options)
    get_shipping_providers = _Forward("logistics", LogisticsService.shipping_providers)

    # --- orders ----------------------------------------------------------------------------

    get_orders = _Forward("orders", OrdersService.get)
    get_order_price_detail = _Forward("orders", OrdersService.price_detail)
    iter_orders_changed = _Forward("orders", OrdersService.changed)

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
        filters = OrderFilter(
            order_status=order_status,
            create_time_ge=create_time_ge,
            create_time_lt=create_time_lt,
            update_time_ge=update_time_ge,
            update_time_lt=update_time_lt,
            shipping_type=shipping_type,
        )
        return self.orders.search(
            shop, filters, page_size=page_size, page_token=page_token, sort_field=sort_field, sort_order=sort_order
        )

    def iter_orders(self, shop: ShopRef, **filters: Any) -> Iterator[Order]:
        return paged(lambda token: self.search_orders(shop, page_token=token, **filters))

    # --- fulfillment -----------------------------------------------------------------------

    get_package = _Forward("fulfillment", FulfillmentService.get_package)
    ship_package = _Forward("fulfillment", FulfillmentService.ship_package)
    mark_package_shipped = _Forward("fulfillment", FulfillmentService.mark_shipped)
    update_shipping_info = _Forward("fulfillment", FulfillmentService.update_shipping_info)
    update_package_shipping_info = _Forward("fulfillment", FulfillmentService.update_package_shipping_info)

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
        filters = PackageFilter(
            package_status=package_status,
            create_time_ge=create_time_ge,
            create_time_lt=create_time_lt,
            update_time_ge=update_time_ge,
            update_time_lt=update_time_lt,
        )
        return self.fulfillment.search_packages(shop, filters, page_size=page_size, page_token=page_token)

    # --- cancellations and returns -----------------------------------------------------------

    approve_cancellation = _Forward("after_sales", AfterSalesService.approve_cancellation)
    reject_cancellation = _Forward("after_sales", AfterSalesService.reject_cancellation)
    cancel_order = _Forward("after_sales", AfterSalesService.cancel_order)
    approve_return = _Forward("after_sales", AfterSalesService.approve_return)
    reject_return = _Forward("after_sales", AfterSalesService.reject_return)

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
        filters = CancellationFilter(
            order_ids=tuple(order_ids or ()),
            cancel_ids=tuple(cancel_ids or ()),
            cancel_status=tuple(cancel_status or ()),
            cancel_types=tuple(cancel_types or ()),
            create_time_ge=create_time_ge,
            create_time_lt=create_time_lt,
            update_time_ge=update_time_ge,
            update_time_lt=update_time_lt,
        )
        return self.after_sales.search_cancellations(shop, filters, page_size=page_size, page_token=page_token)

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
        filters = ReturnFilter(
            order_ids=tuple(order_ids or ()),
            return_ids=tuple(return_ids or ()),
            return_status=tuple(return_status or ()),
            create_time_ge=create_time_ge,
            create_time_lt=create_time_lt,
            update_time_ge=update_time_ge,
            update_time_lt=update_time_lt,
        )
        return self.after_sales.search_returns(shop, filters, page_size=page_size, page_token=page_token)
