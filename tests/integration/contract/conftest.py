"""Fixtures of the contract suite: the sandboxes on 127.0.0.1 driven by independent clients from
the package registry (``tiktok-shop-api``, ``pyecwid``), not by this project's code."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from tiktok_shop_api import TikTokShop

from connector.tiktok.client import ShopRef, TikTokClient
from connector.tiktok.oauth import StaticToken
from local.sandbox_ecwid import EcwidSandbox
from local.sandbox_tiktok import TikTokSandbox
from tests.integration.tiktok.conftest import APP_KEY, APP_SECRET, World, make_client, tee_product
from tests.support.wait import until


@dataclass
class TikTokWorld:
    """One seller and shop, the third-party client bound to it, and our own client for set-up."""

    sandbox: TikTokSandbox
    app: TikTokShop  # app-level calls (no shop cipher)
    shop_api: TikTokShop  # shop calls (with the shop cipher)
    ours: TikTokClient
    shop: ShopRef
    warehouse_id: str
    world: World  # the set-up helpers of the TikTok suite take this

    def active_product(self) -> tuple[str, list[str]]:
        created = self.ours.create_product(self.shop, tee_product(self.world))
        until(
            lambda: self.ours.get_product(self.shop, created.product_id).status == "ACTIVATE",
            timeout=5,
            what="product review",
        )
        return created.product_id, [s.id for s in created.skus]


@pytest.fixture(scope="module")
def tiktok_sandbox() -> Iterator[TikTokSandbox]:
    sandbox = TikTokSandbox(APP_KEY, APP_SECRET, webhook_url=None, time_scale=0.0005, seed=21).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def tiktok(tiktok_sandbox: TikTokSandbox) -> Iterator[TikTokWorld]:
    seller = tiktok_sandbox.create_seller("Contract Seller", "US")
    shop = seller["shops"][0]
    app_client = make_client(tiktok_sandbox)
    token = app_client.get_access_token(tiktok_sandbox.issue_auth_code(seller["id"])).access_token
    ours = app_client.with_tokens(StaticToken(token))
    ref = ShopRef(id=shop["id"], cipher=shop["cipher"])
    world = World(
        sandbox=tiktok_sandbox,
        seller=seller,
        shop=ref,
        warehouse_id=shop["default_warehouse_id"],
        tokens=None,  # type: ignore[arg-type]  # the set-up helpers never refresh
        client=ours,
        persisted=[],
    )
    app = TikTokShop(APP_KEY, APP_SECRET, access_token=token, base_url=tiktok_sandbox.url)
    shop_api = app.with_shop(shop_cipher=shop["cipher"])
    yield TikTokWorld(tiktok_sandbox, app, shop_api, ours, ref, shop["default_warehouse_id"], world)
    shop_api.close()
    app.close()
    ours.close()


@pytest.fixture(scope="module")
def ecwid_sandbox() -> Iterator[EcwidSandbox]:
    sandbox = EcwidSandbox("contract-client", "contract-secret", seed=5).start()
    yield sandbox
    sandbox.stop()


def data_of(answer: Any) -> dict[str, Any]:
    """The ``data`` of a parsed answer, after checking the envelope says success."""
    assert answer is not None
    payload = answer.to_dict()
    assert payload["code"] == 0, payload
    assert payload["request_id"]
    return dict(payload.get("data") or {})
