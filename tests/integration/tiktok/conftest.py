"""Fixtures for the TikTok client against a running sandbox TikTok Shop on 127.0.0.1."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connector.ratelimit import LocalRateLimiter
from connector.tiktok.client import RetryPolicy, ShopRef, TikTokClient
from connector.tiktok.models import (
    ImageRef,
    InventoryEntry,
    PackageDimensions,
    PackageWeight,
    Price,
    ProductAttributeInput,
    ProductInput,
    SalesAttributeInput,
    SkuInput,
    TokenSet,
)
from connector.tiktok.oauth import RefreshingTokens
from local.httpkit import Request, Response, Server
from local.sandbox_tiktok import TikTokSandbox
from tests.support.wait import until

APP_KEY = "it-app-key"
APP_SECRET = "it-app-secret-9f8e7d6c5b4a"
#: Review delay 30 s and the webhook retry schedule shrink by this factor in tests.
TIME_SCALE = 0.0005


def png(width: int = 800, height: int = 800, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Receiver:
    """A webhook endpoint: records every delivery; can fail the first N."""

    fail_first: dict[str, int] = field(default_factory=dict)  # shop id -> deliveries to refuse
    status_when_failing: int = 500
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: Server | None = None

    def handle(self, request: Request) -> Response:
        payload = json.loads(request.body)
        with self.lock:
            self.received.append(
                {
                    "body": request.body,
                    "authorization": request.header("authorization"),
                    "json": payload,
                    "at": time.monotonic(),
                }
            )
            shop_id = str(payload.get("shop_id"))
            if self.fail_first.get(shop_id, 0) > 0:
                self.fail_first[shop_id] -= 1
                return Response(self.status_when_failing, b"")
        return Response(200, b"")

    def events(self, event_type: int | None = None, shop_id: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                r["json"]
                for r in self.received
                if (event_type is None or r["json"]["type"] == event_type)
                and (shop_id is None or r["json"]["shop_id"] == shop_id)
            ]

    def deliveries(self, shop_id: str) -> list[dict[str, Any]]:
        """Raw deliveries (body bytes and Authorization header) for one shop."""
        with self.lock:
            return [r for r in self.received if r["json"]["shop_id"] == shop_id]

    def reset(self) -> None:
        with self.lock:
            self.fail_first.clear()
            self.status_when_failing = 500

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url + "/webhooks/tiktok"


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    rec.server = Server(rec.handle, name="webhook-receiver").start()
    yield rec
    rec.server.stop()


@pytest.fixture(scope="session")
def sandbox_server(receiver: Receiver) -> Iterator[TikTokSandbox]:
    """One sandbox for the whole run (stopping a server costs ~0.5 s); tests isolate by
    creating their own seller and shop, and behaviour is reset after each test."""
    sb = TikTokSandbox(APP_KEY, APP_SECRET, webhook_url=receiver.url, time_scale=TIME_SCALE, seed=7).start()
    yield sb
    sb.stop()


@pytest.fixture
def sandbox(sandbox_server: TikTokSandbox, receiver: Receiver) -> Iterator[TikTokSandbox]:
    yield sandbox_server
    sandbox_server.reset_behaviour()
    receiver.reset()


@dataclass
class World:
    sandbox: TikTokSandbox
    seller: dict[str, Any]
    shop: ShopRef
    warehouse_id: str
    tokens: RefreshingTokens
    client: TikTokClient
    persisted: list[TokenSet]

    @property
    def shop_id(self) -> str:
        return self.shop.id

    def requests(self, pattern: str | None = None) -> list[dict[str, Any]]:
        """The sandbox's log of this shop's API calls (optionally one API)."""
        return [r for r in self.sandbox.requests(pattern=pattern) if r["shop_id"] == self.shop.id]

    def events(self, receiver: Receiver, event_type: int | None = None) -> list[dict[str, Any]]:
        return receiver.events(event_type, shop_id=self.shop.id)


def make_client(sandbox: TikTokSandbox, *, app_secret: str = APP_SECRET, **overrides: Any) -> TikTokClient:
    options: dict[str, Any] = {
        "api_base": sandbox.url,
        "auth_base": sandbox.auth_url,
        "authorize_url": sandbox.authorize_url,
        "http": httpx.Client(timeout=httpx.Timeout(5.0)),
        "limiter": LocalRateLimiter(),
        "retry": RetryPolicy(max_attempts=4, base_delay_s=0.05, max_delay_s=0.5),
    }
    options.update(overrides)
    return TikTokClient(APP_KEY, app_secret, **options)


@pytest.fixture
def world(sandbox: TikTokSandbox) -> Iterator[World]:
    seller = sandbox.create_seller("Integration Seller", "US")
    shop = seller["shops"][0]
    app_client = make_client(sandbox)
    code = sandbox.issue_auth_code(seller["id"])
    token_set = app_client.get_access_token(code)
    persisted: list[TokenSet] = []
    tokens = RefreshingTokens(token_set, app_client.refresh_access_token, on_refresh=persisted.append)
    client = app_client.with_tokens(tokens)
    yield World(
        sandbox=sandbox,
        seller=seller,
        shop=ShopRef(id=shop["id"], cipher=shop["cipher"]),
        warehouse_id=shop["default_warehouse_id"],
        tokens=tokens,
        client=client,
        persisted=persisted,
    )
    client.close()


def tee_product(world: World, *, images: list[str] | None = None, **overrides: Any) -> ProductInput:
    """A listing that passes every sandbox rule (US shop, v2 T-shirts leaf)."""
    if images is None:
        images = [world.client.upload_image(world.shop, png()).uri]
    values: dict[str, Any] = {
        "title": "Organic Cotton Crew T-shirt",
        "description": "<p>Soft organic cotton tee.</p><ul><li>Machine washable</li></ul>",
        "category_id": "1000302",
        "main_images": [ImageRef(uri=uri) for uri in images],
        "skus": [
            SkuInput(
                seller_sku=f"TEE-{color}-{size}",
                sales_attributes=[
                    SalesAttributeInput(id="100000", value_name=color),
                    SalesAttributeInput(id="100007", value_name=size),
                ],
                inventory=[InventoryEntry(warehouse_id=world.warehouse_id, quantity=10)],
                price=Price(amount=Decimal("19.90"), currency="USD"),
            )
            for color in ("Black", "White")
            for size in ("M", "L")
        ],
        "package_weight": PackageWeight(value=Decimal("0.25"), unit="KILOGRAM"),
        "package_dimensions": PackageDimensions(length="30", width="20", height="3", unit="CENTIMETER"),
        "product_attributes": [ProductAttributeInput(id="101610", values=[{"id": "3001"}])],
        "brand_id": "7082427311584347905",
    }
    values.update(overrides)
    return ProductInput.model_validate(values)


def active_product(world: World, **overrides: Any) -> tuple[str, list[str]]:
    """Create a listing and wait for the review to pass; returns (product id, sku ids)."""
    created = world.client.create_product(world.shop, tee_product(world, **overrides))
    until(
        lambda: world.client.get_product(world.shop, created.product_id).status == "ACTIVATE",
        timeout=5,
        what="product review",
    )
    return created.product_id, [s.id for s in created.skus]
