"""OAuth against the sandbox: the authorization page, token get / refresh, authorized shops."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from connector.tiktok import errors as e
from connector.tiktok.oauth import RefreshingTokens
from local.sandbox_tiktok import TikTokSandbox

from .conftest import World, make_client

CALLBACK = "https://connector.example/oauth/tiktok/callback"


def _authorize(sandbox: TikTokSandbox, link: str, seller_id: str, decision: str = "approve") -> dict[str, list[str]]:
    """A seller opens the link, picks the account and decides; returns the callback's query."""
    page = httpx.get(link)
    assert page.status_code == 200 and "<form" in page.text
    state = parse_qs(urlsplit(link).query)["state"][0]
    answer = httpx.post(
        sandbox.url + "/oauth/authorize",
        data={"service_id": sandbox.service_id, "state": state, "seller_id": seller_id, "decision": decision},
    )
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    return parse_qs(urlsplit(location).query)


def test_link_page_code_tokens_and_shops(sandbox: TikTokSandbox) -> None:
    # Given a seller with two shops and the app's callback
    seller = sandbox.create_seller("Two Shops", "US", shops=["US", "GB"])
    sandbox.set_redirect_url(CALLBACK)
    client = make_client(sandbox)

    # When the seller authorizes through the link we built
    link = client.authorization_url("csrf-123")
    callback = _authorize(sandbox, link, seller["id"])
    tokens = client.get_access_token(callback["code"][0])
    shops = client.get_authorized_shops(access_token=tokens.access_token)

    # Then the state comes back, expiries are absolute, and both shops have ciphers
    assert link.startswith(sandbox.authorize_url + "&state=")
    assert callback["state"] == ["csrf-123"]
    now = time.time()
    assert now + 6 * 86400 < tokens.access_expires_at < now + 8 * 86400
    assert tokens.refresh_expires_at > tokens.access_expires_at
    assert tokens.seller_name == "Two Shops" and tokens.open_id == seller["id"]
    assert {s.region for s in shops} == {"US", "GB"}
    assert all(s.cipher.startswith("GCP_") for s in shops)


def test_denied_authorization_redirects_with_auth_denied(sandbox: TikTokSandbox) -> None:
    seller = sandbox.create_seller()
    sandbox.set_redirect_url(CALLBACK)
    callback = _authorize(sandbox, make_client(sandbox).authorization_url("s1"), seller["id"], decision="deny")
    assert callback["error"] == ["auth_denied"] and callback["code"] == ["null"]


def test_auth_code_is_single_use(sandbox: TikTokSandbox) -> None:
    seller = sandbox.create_seller()
    client = make_client(sandbox)
    code = sandbox.issue_auth_code(seller["id"])
    client.get_access_token(code)
    with pytest.raises(e.AuthError) as caught:
        client.get_access_token(code)
    assert code not in str(caught.value)


def test_refresh_rotates_and_the_old_refresh_token_stops_working(sandbox: TikTokSandbox) -> None:
    seller = sandbox.create_seller()
    client = make_client(sandbox)
    first = client.get_access_token(sandbox.issue_auth_code(seller["id"]))

    second = client.refresh_access_token(first.refresh_token)

    assert second.access_token != first.access_token
    assert second.refresh_token != first.refresh_token
    with pytest.raises(e.AuthError) as caught:
        client.refresh_access_token(first.refresh_token)
    assert first.refresh_token not in str(caught.value)


def test_expired_access_token_is_refreshed_once_and_the_new_set_persisted(world: World) -> None:
    before = world.tokens.tokens.access_token
    world.sandbox.expire_access_tokens(world.seller["id"])

    warehouses = world.client.get_warehouses(world.shop)

    assert warehouses
    assert len(world.persisted) == 1
    assert world.persisted[0].access_token != before
    codes_seen = [r["code"] for r in world.requests("/logistics/202309/warehouses")]
    assert codes_seen[-2:] == [105002, 0]


def test_expired_refresh_token_surfaces_as_auth_error(world: World) -> None:
    world.sandbox.expire_access_tokens(world.seller["id"])
    world.sandbox.expire_refresh_tokens(world.seller["id"])
    with pytest.raises(e.AuthError) as caught:
        world.client.get_warehouses(world.shop)
    assert caught.value.tiktok_code == 105004
    assert world.persisted == []


def test_tokens_near_expiry_are_refreshed_before_the_call(world: World) -> None:
    soon = world.tokens.tokens.model_copy(update={"access_token_expire_in": int(time.time()) + 60})
    tokens = RefreshingTokens(soon, world.client.refresh_access_token, margin_s=3600)
    world.client.with_tokens(tokens).get_warehouses(world.shop)
    assert tokens.tokens.access_token != soon.access_token
    assert all(r["code"] == 0 for r in world.requests("/logistics/202309/warehouses"))
