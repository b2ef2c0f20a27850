"""The client against a scripted TikTok (httpx.MockTransport): wire format, retries, errors."""

from __future__ import annotations

import logging
from decimal import Decimal

import httpx
import pytest

from connector.tiktok import errors as e
from connector.tiktok.auth import AUTH_TOKEN_GET, AUTH_TOKEN_REFRESH, SHOPS
from connector.tiktok.client import DEFAULT_RATE_PER_SECOND, ShopRef, TikTokClient, accepts_cipher, poll_window
from connector.tiktok.logistics import WAREHOUSES
from connector.tiktok.models import (
    ImageRef,
    InventoryEntry,
    PackageWeight,
    Price,
    ProductInput,
    SkuInput,
    SkuInventoryUpdate,
    SkuPriceUpdate,
    TokenSet,
)
from connector.tiktok.oauth import RefreshingTokens
from connector.tiktok.orders import ORDERS_DETAIL, ORDERS_SEARCH
from connector.tiktok.products import (
    BRANDS,
    IMAGES_UPLOAD,
    PRODUCT,
    PRODUCT_INVENTORY_UPDATE,
    PRODUCTS,
    PRODUCTS_DEACTIVATE,
)
from connector.tiktok.settings import DEFAULT_API_BASE, DEFAULT_AUTH_BASE, TikTokEndpoints

from .conftest import APP_KEY, APP_SECRET, NOW, SHOP, TOKEN, Harness, fail, json_body, ok


def _product(**overrides: object) -> ProductInput:
    values: dict[str, object] = {
        "title": "Organic cotton tee",
        "description": "<p>Soft.</p>",
        "category_id": "601226",
        "main_images": [ImageRef(uri="tos-uri-1")],
        "skus": [
            SkuInput(
                seller_sku="TEE-1",
                inventory=[InventoryEntry(warehouse_id="7000", quantity=5)],
                price=Price(amount=Decimal("19.90"), currency="USD"),
            )
        ],
        "package_weight": PackageWeight(value=Decimal("0.25"), unit="KILOGRAM"),
    }
    values.update(overrides)
    return ProductInput.model_validate(values)


# --- wire format -----------------------------------------------------------------------


def test_shop_call_is_signed_with_integer_timestamp_token_header_and_cipher(harness: Harness) -> None:
    harness.fake.script(WAREHOUSES, ok({"warehouses": [{"id": 7000, "is_default": True}]}))

    warehouses = harness.client.get_warehouses(SHOP)

    assert warehouses[0].id == "7000"  # a JSON number became a string
    seen = harness.fake.calls(WAREHOUSES)[0]
    assert seen.sign_ok
    assert seen.query["app_key"] == APP_KEY
    assert seen.query["timestamp"] == str(int(NOW))
    assert seen.query["shop_cipher"] == SHOP.cipher
    assert "access_token" not in seen.query
    assert seen.headers["x-tts-access-token"] == TOKEN
    assert seen.headers["content-type"] == "application/json"


def test_post_body_sent_is_the_body_signed(harness: Harness) -> None:
    harness.client.deactivate_products(SHOP, ["1729592969712207008"])

    seen = harness.fake.calls(PRODUCTS_DEACTIVATE)[0]
    assert seen.body == b'{"product_ids":["1729592969712207008"]}'
    assert seen.sign_ok


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/authorization/202309/shops", False),
        ("GET", "/seller/202309/shops", False),
        ("POST", "/product/202309/images/upload", False),
        ("POST", "/product/202309/files/upload", False),
        ("POST", "/product/202309/global_products/search", False),
        ("GET", "/product/202309/compliance/manufacturers", False),
        ("POST", "/product/202309/brands", False),
        ("GET", "/product/202309/brands", True),
        ("POST", "/product/202309/products", True),
        ("GET", "/order/202309/orders", True),
        ("POST", "/fulfillment/202309/packages/1/ship", True),
        ("POST", "/return_refund/202309/cancellations/search", True),
        ("GET", "/logistics/202309/warehouses", True),
    ],
)
def test_which_calls_take_shop_cipher(method: str, path: str, expected: bool) -> None:
    assert accepts_cipher(method, path) is expected


def test_no_cipher_on_image_upload_and_brand_create(harness: Harness) -> None:
    harness.fake.script(IMAGES_UPLOAD, ok({"uri": "tos-1", "url": "https://img/1", "width": 800, "height": 800}))
    harness.fake.script(BRANDS, ok({"id": "88"}))

    harness.client.upload_image(SHOP, b"\x89PNG fake bytes")
    brand_id = harness.client.create_brand(SHOP, "Acme")

    upload, create = harness.fake.calls(IMAGES_UPLOAD)[0], harness.fake.calls(BRANDS)[0]
    assert "shop_cipher" not in upload.query and "shop_cipher" not in create.query
    assert upload.sign_ok and create.sign_ok
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert b'name="use_case"' in upload.body and b"MAIN_IMAGE" in upload.body
    assert brand_id == "88"


def test_each_distinct_image_is_uploaded_once_per_shop(harness: Harness) -> None:
    harness.fake.default = lambda seen: ok({"uri": f"tos-{len(harness.fake.seen)}", "width": 600, "height": 600})
    other_shop = ShopRef(id="other-shop", cipher="GCP_other")

    first = harness.client.upload_image(SHOP, b"image-a")
    again = harness.client.upload_image(SHOP, b"image-a")
    second = harness.client.upload_image(SHOP, b"image-b")
    elsewhere = harness.client.upload_image(other_shop, b"image-a")

    assert first == again
    assert second.uri != first.uri
    assert elsewhere.uri not in (first.uri, second.uri)
    assert len(harness.fake.calls(IMAGES_UPLOAD)) == 3


def test_list_query_values_are_comma_joined_and_order_details_batch_by_50(harness: Harness) -> None:
    ids = [str(576461413038785000 + i) for i in range(120)]
    harness.fake.default = lambda seen: ok(
        {"orders": [{"id": i, "status": "UNPAID"} for i in seen.query["ids"].split(",")]}
    )

    orders = harness.client.get_orders(SHOP, ids)

    calls = harness.fake.calls(ORDERS_DETAIL)
    assert [len(call.query["ids"].split(",")) for call in calls] == [50, 50, 20]
    assert all(call.sign_ok for call in calls)
    assert [o.id for o in orders] == ids


def test_rate_limit_key_is_per_shop_and_path_template(harness: Harness) -> None:
    harness.fake.default = lambda seen: ok({"id": "1", "status": "ACTIVATE"})
    harness.client.get_product(SHOP, "111")
    harness.client.get_product(SHOP, "222")
    harness.client.get_authorized_shops()

    keys = [key for key, _ in harness.limiter.acquired]
    assert keys[0] == keys[1] == f"tiktok#{SHOP.id}#{PRODUCT}"
    assert keys[2] == f"tiktok#app:{APP_KEY}#{SHOPS}"
    assert all(rate == DEFAULT_RATE_PER_SECOND for _, rate in harness.limiter.acquired)


# --- errors and retries -----------------------------------------------------------------


def test_expired_token_is_refreshed_once_and_the_call_retried(harness: Harness) -> None:
    harness.fake.script(
        "/product/202309/products/1",
        fail(e.TOKEN_EXPIRED, "access token expired", status=401),
        ok({"id": "1", "status": "ACTIVATE"}),
    )

    product = harness.client.get_product(SHOP, "1")

    assert product.status == "ACTIVATE"
    assert harness.tokens.refreshes == [TOKEN]
    first, second = harness.fake.calls("/product/202309/products/1")
    assert first.headers["x-tts-access-token"] == TOKEN
    assert second.headers["x-tts-access-token"] == harness.tokens.fresh
    assert harness.sleeps == []


def test_a_second_expiry_after_refresh_raises(harness: Harness) -> None:
    harness.fake.script(
        "/product/202309/products/1",
        fail(e.TOKEN_EXPIRED, "expired", status=401, request_id="r1"),
        fail(e.TOKEN_EXPIRED, "expired", status=401, request_id="r2"),
    )

    with pytest.raises(e.TokenExpired) as caught:
        harness.client.get_product(SHOP, "1")

    assert caught.value.request_id == "r2"
    assert len(harness.tokens.refreshes) == 1


def test_rate_limited_pauses_the_key_with_retry_after_then_succeeds(harness: Harness) -> None:
    path = "/product/202309/products/9/inventory/update"
    harness.fake.script(path, fail(e.TOO_MANY_REQUESTS, "too many", status=429, **{"retry-after": "1.5"}), ok())

    harness.client.update_inventory(
        SHOP, "9", [SkuInventoryUpdate(id="s1", inventory=[InventoryEntry(warehouse_id="7000", quantity=3)])]
    )

    assert harness.limiter.paused == [(f"tiktok#{SHOP.id}#{PRODUCT_INVENTORY_UPDATE}", 1.5)]
    assert len(harness.fake.calls(path)) == 2
    assert json_body(harness.fake.calls(path)[1]) == {
        "skus": [{"id": "s1", "inventory": [{"warehouse_id": "7000", "quantity": 3}]}]
    }


def test_http_429_without_a_code_is_rate_limited_with_jittered_backoff(harness: Harness) -> None:
    harness.fake.script(WAREHOUSES, httpx.Response(429, text="slow down"), ok({"warehouses": []}))

    assert harness.client.get_warehouses(SHOP) == []
    ((key, seconds),) = harness.limiter.paused
    assert key.endswith(WAREHOUSES)
    assert 0.05 <= seconds <= 0.1  # base 0.1 s, "equal jitter" with rnd=0.5 -> 0.075


def test_server_errors_retry_with_growing_backoff_then_give_up_with_request_id(harness: Harness) -> None:
    harness.fake.default = lambda seen: fail(
        e.INTERNAL_ERROR, "internal", status=503, request_id=f"r{len(harness.fake.seen)}"
    )

    with pytest.raises(e.ServerError) as caught:
        harness.client.get_warehouses(SHOP)

    assert caught.value.retryable
    assert caught.value.request_id == "r4"
    assert len(harness.fake.seen) == 4
    assert harness.sleeps == sorted(harness.sleeps) and len(harness.sleeps) == 3
    assert harness.sleeps[0] < harness.sleeps[-1]


def test_html_502_is_a_server_error(harness: Harness) -> None:
    harness.fake.script(WAREHOUSES, httpx.Response(502, text="<html>bad gateway</html>"), ok({"warehouses": []}))
    assert harness.client.get_warehouses(SHOP) == []
    assert len(harness.sleeps) == 1


def test_timeouts_are_retried_and_finally_raise_timeout(harness: Harness) -> None:
    def hang(seen: object) -> httpx.Response:
        raise httpx.ReadTimeout("timed out")

    harness.fake.default = hang
    with pytest.raises(e.Timeout) as caught:
        harness.client.get_warehouses(SHOP)
    assert caught.value.retryable
    assert len(harness.fake.seen) == 4


def test_connection_failure_is_a_retryable_server_error(harness: Harness) -> None:
    def refuse(seen: object) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    harness.fake.script(WAREHOUSES, refuse, ok({"warehouses": []}))
    assert harness.client.get_warehouses(SHOP) == []


def test_product_validation_error_is_not_retried_and_carries_code_and_message(harness: Harness) -> None:
    harness.fake.script(PRODUCTS, fail(12052525, "The number of sales attributes exceeds the limit", request_id="rv"))

    with pytest.raises(e.ProductValidationError) as caught:
        harness.client.create_product(SHOP, _product())

    error = caught.value
    assert (error.tiktok_code, error.request_id) == (12052525, "rv")
    assert "sales attributes" in error.tiktok_message
    assert not error.retryable
    assert len(harness.fake.seen) == 1 and harness.sleeps == []


def test_create_product_adds_one_idempotency_key_reused_on_retry(harness: Harness) -> None:
    harness.fake.script(
        PRODUCTS,
        fail(e.INTERNAL_ERROR, "oops", status=500),
        ok({"product_id": 1729, "skus": [{"id": 17, "seller_sku": "TEE-1"}]}),
    )

    result = harness.client.create_product(SHOP, _product())

    first, second = harness.fake.calls(PRODUCTS)
    assert first.body == second.body
    body = json_body(first)
    assert len(body["idempotency_key"]) == 32
    assert body["skus"][0]["price"] == {"amount": "19.90", "currency": "USD"}
    assert body["package_weight"] == {"value": "0.25", "unit": "KILOGRAM"}
    assert (result.product_id, result.skus[0].id) == ("1729", "17")


@pytest.mark.parametrize(
    ("code", "status", "family"),
    [
        (e.INVALID_SIGNATURE, 401, e.InvalidSignature),
        (e.SCOPE_NOT_GRANTED, 200, e.ScopeError),
        (e.MISSING_SHOP_CIPHER, 200, e.ShopCipherError),
        (e.TOKEN_SHOP_MISMATCH, 200, e.ShopCipherError),
        (e.UNEXPECTED_PARAMETER, 400, e.BadRequest),
        (12052700, 404, e.TikTokNotFound),
        (e.DAILY_LISTING_LIMIT, 200, e.ListingLimitReached),
        (e.IP_NOT_ALLOWED, 403, e.AuthError),
    ],
)
def test_error_families_raise_at_once(harness: Harness, code: int, status: int, family: type[e.TikTokError]) -> None:
    harness.fake.script(WAREHOUSES, fail(code, "no", status=status))
    with pytest.raises(family):
        harness.client.get_warehouses(SHOP)
    assert len(harness.fake.seen) == 1


def test_error_text_never_carries_token_or_secret(harness: Harness) -> None:
    echo = f"bad token {TOKEN} for app secret {APP_SECRET}"
    harness.fake.script(WAREHOUSES, fail(e.INVALID_SIGNATURE, echo, status=401))

    with pytest.raises(e.AuthError) as caught:
        harness.client.get_warehouses(SHOP)

    rendered = " ".join([str(caught.value), repr(caught.value), caught.value.tiktok_message, caught.value.message])
    assert TOKEN not in rendered and APP_SECRET not in rendered
    assert "***" in rendered


def test_token_endpoint_errors_never_carry_secret_code_or_refresh_token(harness: Harness) -> None:
    refresh_token = "ROW_refresh_token_secret_123"
    harness.fake.script(
        AUTH_TOKEN_REFRESH,
        fail(36004004, f"refresh_token {refresh_token} invalid for app_secret={APP_SECRET}", status=200),
    )

    with pytest.raises(e.TikTokError) as caught:
        harness.client.refresh_access_token(refresh_token)

    text = str(caught.value)
    assert refresh_token not in text and APP_SECRET not in text
    assert "token/refresh" in text  # the path template is there to help, not the query


# --- OAuth -----------------------------------------------------------------------------


def test_authorization_url_appends_state() -> None:
    client = TikTokClient(
        APP_KEY,
        APP_SECRET,
        authorize_url={
            "": "https://services.tiktokshop.com/open/authorize?service_id=7",
            "US": "https://us.example/open/authorize?service_id=8",
        },
        http=httpx.Client(transport=httpx.MockTransport(lambda r: ok())),
    )
    assert (
        client.authorization_url("abc 1") == "https://services.tiktokshop.com/open/authorize?service_id=7&state=abc+1"
    )
    assert client.authorization_url("s", region="us").startswith(
        "https://us.example/open/authorize?service_id=8&state=s"
    )


def test_token_get_and_refresh_use_the_auth_host_and_absolute_expiries(harness: Harness) -> None:
    tokens = {
        "access_token": "TTP_new",
        "access_token_expire_in": 1736294400,
        "refresh_token": "TTP_refresh",
        "refresh_token_expire_in": 1767225600,
        "open_id": 123,
        "seller_name": "Test Seller",
        "granted_scopes": ["seller.product.basic"],
    }
    harness.fake.script(AUTH_TOKEN_GET, ok(tokens))
    harness.fake.script(AUTH_TOKEN_REFRESH, ok(tokens))

    got = harness.client.get_access_token("the-auth-code")
    refreshed = harness.client.refresh_access_token("TTP_refresh")

    get, refresh = harness.fake.calls(AUTH_TOKEN_GET)[0], harness.fake.calls(AUTH_TOKEN_REFRESH)[0]
    assert get.query == {
        "app_key": APP_KEY,
        "app_secret": APP_SECRET,
        "auth_code": "the-auth-code",
        "grant_type": "authorized_code",
    }
    assert refresh.query["grant_type"] == "refresh_token" and refresh.query["refresh_token"] == "TTP_refresh"
    assert got.access_expires_at == 1736294400 and refreshed.refresh_expires_at == 1767225600
    assert got.open_id == "123"
    assert "TTP_new" not in repr(got) and "TTP_refresh" not in repr(got)


def test_authorized_shops_use_an_explicit_token_and_no_cipher(harness: Harness) -> None:
    harness.fake.script(
        SHOPS,
        ok({"shops": [{"id": "7494", "name": "Shop", "region": "US", "cipher": "GCP_x", "seller_type": "LOCAL"}]}),
    )

    shops = harness.client.get_authorized_shops(access_token="TTP_callback_token")

    seen = harness.fake.calls(SHOPS)[0]
    assert seen.headers["x-tts-access-token"] == "TTP_callback_token"
    assert "shop_cipher" not in seen.query
    assert shops[0].cipher == "GCP_x" and "GCP_x" not in repr(shops[0])


def test_refreshing_tokens_refresh_early_and_once_for_concurrent_expiry() -> None:
    clock = [1000.0]
    calls: list[str] = []
    persisted: list[str] = []

    def refresher(refresh_token: str) -> TokenSet:
        calls.append(refresh_token)
        n = len(calls)
        return TokenSet(
            access_token=f"A{n}",
            access_token_expire_in=int(clock[0]) + 7 * 86400,
            refresh_token=f"R{n}",
            refresh_token_expire_in=int(clock[0]) + 365 * 86400,
        )

    start = TokenSet(
        access_token="A0", access_token_expire_in=1000 + 7200, refresh_token="R0", refresh_token_expire_in=99999999
    )
    tokens = RefreshingTokens(
        start, refresher, on_refresh=lambda t: persisted.append(t.refresh_token), clock=lambda: clock[0], margin_s=3600
    )

    assert tokens.access_token() == "A0"
    clock[0] += 3700  # inside the margin now
    assert tokens.access_token() == "A1"
    assert tokens.refresh("A1") == "A2"
    assert tokens.refresh("A1") == "A2"  # a second caller with the same stale token: no second refresh
    assert calls == ["R0", "R1"] and persisted == ["R1", "R2"]
    assert "A2" not in repr(tokens)


def test_endpoints_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert TikTokEndpoints.from_env({}).api_base == DEFAULT_API_BASE
    assert TikTokEndpoints.from_env({}).auth_base == DEFAULT_AUTH_BASE
    env = {
        "TIKTOK_API_BASE": "http://127.0.0.1:9000/",
        "TIKTOK_AUTH_BASE": "http://127.0.0.1:9000/auth",
        "TIKTOK_AUTHORIZE_URL": "http://127.0.0.1:9000/oauth/authorize?service_id=1",
        "TIKTOK_AUTHORIZE_URL_US": "http://us/authorize?service_id=2",
    }
    endpoints = TikTokEndpoints.from_env(env)
    assert endpoints.api_base == "http://127.0.0.1:9000"
    assert endpoints.authorize_url("us") == "http://us/authorize?service_id=2"
    assert endpoints.authorize_url("GB") == env["TIKTOK_AUTHORIZE_URL"]
    monkeypatch.setenv("TIKTOK_API_BASE", "http://example.invalid")
    client = TikTokClient(APP_KEY, APP_SECRET, http=httpx.Client(transport=httpx.MockTransport(lambda r: ok())))
    assert client.endpoints.api_base == "http://example.invalid"
    assert client.endpoints.auth_base == DEFAULT_AUTH_BASE


def test_httpx_request_log_lines_lose_their_query(caplog: pytest.LogCaptureFixture, harness: Harness) -> None:
    harness.fake.script(AUTH_TOKEN_REFRESH, fail(36004004, "bad"))
    with caplog.at_level(logging.INFO, logger="httpx"), pytest.raises(e.TikTokError):
        harness.client.refresh_access_token("ROW_secret_refresh")
    text = caplog.text
    assert "token/refresh" in text
    assert "ROW_secret_refresh" not in text and APP_SECRET not in text


# --- paging and orders ---------------------------------------------------------------------


def test_search_pages_follow_tokens(harness: Harness) -> None:
    harness.fake.script(
        ORDERS_SEARCH,
        ok(
            {
                "orders": [{"id": "1", "status": "AWAITING_SHIPMENT", "update_time": 10}],
                "next_page_token": "p2",
                "total_count": 2,
            }
        ),
        ok({"orders": [{"id": "2", "status": "UNPAID", "update_time": 11}], "next_page_token": "", "total_count": 2}),
    )

    orders = list(harness.client.iter_orders(SHOP, update_time_ge=5))

    assert [o.id for o in orders] == ["1", "2"]
    first, second = harness.fake.calls(ORDERS_SEARCH)
    assert "page_token" not in first.query and second.query["page_token"] == "p2"
    assert json_body(first) == {"update_time_ge": 5}
    assert first.query["sort_field"] == "update_time"


def test_changed_orders_overlap_the_window_and_dedupe(harness: Harness) -> None:
    order = {"id": "1", "status": "AWAITING_SHIPMENT", "update_time": 100}
    harness.fake.script(
        ORDERS_SEARCH,
        ok({"orders": [order], "next_page_token": "p2"}),
        ok({"orders": [order, {**order, "update_time": 101}]}),
    )

    orders = list(harness.client.iter_orders_changed(SHOP, since=1000, until=2000, overlap_s=300))

    assert [(o.id, o.update_time) for o in orders] == [("1", 100), ("1", 101)]
    assert json_body(harness.fake.calls(ORDERS_SEARCH)[0]) == {"update_time_ge": 700, "update_time_lt": 2000}


def test_poll_window_overlaps_the_previous_one() -> None:
    assert poll_window(None, 100_000, first_lookback_s=3600) == (96_400, 100_000)
    assert poll_window(99_000, 100_000, overlap_s=300) == (98_700, 100_000)


def test_order_money_is_decimal_and_units_group_by_sku(harness: Harness) -> None:
    order = {
        "id": "5764",
        "status": "AWAITING_SHIPMENT",
        "payment": {"currency": "USD", "total_amount": "39.80", "sub_total": "39.80", "tax": ""},
        "line_items": [
            {"id": "l1", "sku_id": 17, "sale_price": "19.90"},
            {"id": "l2", "sku_id": 17, "sale_price": "19.90"},
        ],
        "recipient_address": {"name": "Jane Buyer", "phone_number": "(+1)213*****50"},
    }
    harness.fake.script(ORDERS_DETAIL, ok({"orders": [order]}))

    (got,) = harness.client.get_orders(SHOP, ["5764"])

    assert got.payment is not None and got.payment.total_amount == Decimal("39.80")
    assert got.payment.tax is None
    assert got.units_by_sku() == {"17": 2}
    assert "Jane Buyer" not in repr(got)


def test_bulk_product_calls_chunk_by_20(harness: Harness) -> None:
    harness.client.delete_products(SHOP, [str(i) for i in range(45)])
    calls = harness.fake.calls(PRODUCTS)
    assert [c_.method for c_ in calls] == ["DELETE"] * 3
    assert [len(json_body(call)["product_ids"]) for call in calls] == [20, 20, 5]


def test_price_update_sends_decimal_strings(harness: Harness) -> None:
    harness.client.update_prices(
        SHOP, "9", [SkuPriceUpdate(id="s1", price=Price(amount=Decimal("10.5"), currency="USD"))]
    )
    body = json_body(harness.fake.calls("/product/202309/products/9/prices/update")[0])
    assert body == {"skus": [{"id": "s1", "price": {"amount": "10.5", "currency": "USD"}}]}


def test_cancellation_approve_sends_an_idempotency_key_in_the_signed_query(harness: Harness) -> None:
    harness.client.approve_cancellation(SHOP, "c1", idempotency_key="k-1")
    seen = harness.fake.calls("/return_refund/202309/cancellations/c1/approve")[0]
    assert seen.query["idempotency_key"] == "k-1" and seen.sign_ok


def test_path_parameters_are_escaped(harness: Harness) -> None:
    harness.fake.default = lambda seen: ok({"id": "1", "status": "ACTIVATE"})
    harness.client.get_product(SHOP, "../orders")
    assert harness.fake.seen[0].path == "/product/202309/products/..%2Forders"


def test_client_without_tokens_refuses_token_calls() -> None:
    client = TikTokClient(
        APP_KEY, APP_SECRET, http=httpx.Client(transport=httpx.MockTransport(lambda r: ok())), limiter=None
    )
    with pytest.raises(e.AuthError):
        client.get_warehouses(SHOP)


def test_malformed_success_answer_is_a_typed_error_without_input_values(harness: Harness) -> None:
    harness.fake.script(AUTH_TOKEN_GET, ok({"access_token": "TTP_leaky_token_value", "refresh_token": 5}))

    with pytest.raises(e.UnexpectedAnswer) as caught:
        harness.client.get_access_token("code")

    assert "access_token_expire_in" in str(caught.value)
    assert "TTP_leaky_token_value" not in str(caught.value)


def test_expiry_with_a_token_that_cannot_refresh_raises_tiktoks_error(harness: Harness) -> None:
    from connector.tiktok.oauth import StaticToken

    client = harness.client.with_tokens(StaticToken(TOKEN))
    harness.fake.script("/product/202309/products/1", fail(e.TOKEN_EXPIRED, "expired", status=401, request_id="r-exp"))

    with pytest.raises(e.TokenExpired) as caught:
        client.get_product(SHOP, "1")

    assert caught.value.request_id == "r-exp"
    assert len(harness.fake.seen) == 1
