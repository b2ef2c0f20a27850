"""`make demo`: the connector's whole journey on the local cloud, shown step by step.

Starts the sandbox TikTok Shop, the sandbox Ecwid store and the local cloud (template.yaml in
moto's server) wired together, then walks a merchant's journey through the public paths (the
install link, the merchant API, the sandboxes' webhooks, tasks):

1. a merchant with a generated Ecwid catalog (a few hundred products, some with deliberate
   flaws) opens the install link and approves on both sides; the connection is checked and a
   foreign token is refused;
2. the install pulls and pushes the catalog (progress bar); a table shows every product's
   status with its reason; one flawed product is fixed in the store and re-synced;
3. buyers order on the sandbox TikTok; the orders appear in the store; one is shipped in the
   store and its tracking reaches TikTok; one is cancelled in the store and TikTok cancels it;
   one is blocked (a TikTok SKU no store product is linked to), linked by the merchant and
   retried; a stock change in the store reaches TikTok;
4. the merchant fills the categories' required attributes once and the products held for them
   sync and go live;
5. an operator canary crosses the queue, the worker, the state machine and the table;
6. a report: what was synced, relayed, blocked and why, and the latencies seen.

Exits 0 when every step worked, non-zero with the step and the reason otherwise.
``--keep`` leaves everything running afterwards and prints the URLs to explore.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx

CATALOG_SIZE = 200
CATALOG_SEED = 7
TRACKING = "1Z999AA10123456784"
T = TypeVar("T")


class DemoFailed(Exception):
    """A step did not do what it should: the demo stops with the step's name and this reason."""


_CURRENT = {"step": "start"}


def step(text: str) -> None:
    _CURRENT["step"] = text
    print(f"\n==> {text}", flush=True)


def show(text: str) -> None:
    print(f"    {text}", flush=True)


def wait_for(probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.1) -> T:
    """``probe()`` once it is truthy; ``DemoFailed`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DemoFailed(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Progress:
    """A plain-text progress bar: redrawn in place on a terminal, a line per quarter otherwise."""

    WIDTH = 30

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stdout.isatty()
        self.shown = -1
        self.started = time.monotonic()

    def update(self, done: int, total: int) -> None:
        total = max(total, 1)
        share = min(1.0, done / total)
        filled = int(share * self.WIDTH)
        line = (
            f"    {self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total} "
            f"{time.monotonic() - self.started:5.1f} s"
        )
        if self.tty:
            print("\r" + line, end="", flush=True)
        elif int(share * 4) > self.shown:
            self.shown = int(share * 4)
            print(line, flush=True)

    def close(self) -> None:
        if self.tty:
            print(flush=True)


def signed(method: str, url: str) -> httpx.Response:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from local.cloud.cloud import LOCAL_CREDENTIALS

    request = AWSRequest(method=method, url=url)
    SigV4Auth(Credentials(*LOCAL_CREDENTIALS), "execute-api", "us-east-1").add_auth(request)
    return httpx.request(method, url, headers=dict(request.headers.items()), timeout=30)


def expect(response: httpx.Response, status: int, what: str) -> dict[str, Any]:
    if response.status_code != status:
        raise DemoFailed(f"{what}: expected HTTP {status}, got {response.status_code}: {response.text[:300]}")
    body: dict[str, Any] = response.json() if response.content else {}
    return body


@dataclass
class Merchant:
    """The merchant's side of the merchant API (their bearer token, their connection)."""

    url: str
    connection_id: str
    token: str = field(repr=False)

    def call(self, method: str, path: str, status: int, what: str, **kwargs: Any) -> dict[str, Any]:
        response = httpx.request(
            method,
            f"{self.url}/connections/{self.connection_id}{path}",
            headers={"authorization": f"Bearer {self.token}"},
            timeout=30,
            **kwargs,
        )
        return expect(response, status, what)

    def products(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 200, **({"page_token": token} if token else {})}
            page = self.call("GET", "/products", 200, "listing products", params=params)
            found += page["products"]
            token = page.get("next_page_token")
            if not token:
                return found

    def product(self, product_id: str) -> dict[str, Any]:
        return self.call("GET", f"/products/{product_id}", 200, f"reading product {product_id}")

    def order(self, order_id: str) -> dict[str, Any] | None:
        response = httpx.get(
            f"{self.url}/connections/{self.connection_id}/orders/{order_id}",
            headers={"authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        return None if response.status_code == 404 else expect(response, 200, f"reading order {order_id}")

    def task(self, task_id: str) -> dict[str, Any]:
        return self.call("GET", f"/tasks/{task_id}", 200, f"reading task {task_id}")["task"]  # type: ignore[no-any-return]

    def follow(self, task_id: str, label: str, timeout: float = 240) -> dict[str, Any]:
        """Follow a task to its end with a progress bar; its record once completed."""
        bar = Progress(label)
        deadline = time.monotonic() + timeout
        try:
            while True:
                task = self.task(task_id)
                bar.update(int(task["counts"].get("done", 0)), int(task.get("total") or 0))
                if task["state"] == "completed":
                    bar.update(int(task.get("total") or 0), int(task.get("total") or 0))
                    return task
                if task["state"] == "error":
                    raise DemoFailed(f"task {task['kind']} ended in error: {task.get('error')}")
                if time.monotonic() > deadline:
                    raise DemoFailed(f"task {task['kind']} still {task['state']} after {timeout:.0f} s")
                time.sleep(0.3)
        finally:
            bar.close()


@dataclass
class Report:
    figures: list[tuple[str, str]] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=dict)

    def add(self, what: str, value: str) -> None:
        self.figures.append((what, value))

    def time(self, what: str, seconds: float) -> float:
        self.latencies.setdefault(what, []).append(seconds)
        return seconds


def _clip(text: str | None, width: int) -> str:
    text = (text or "-").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "~"


# ====================================================================================== connect
def connect(w: Any, report: Report) -> tuple[Merchant, dict[str, Any], int, list[Any]]:
    from local.world import Browser, page_values

    step(f"A merchant's Ecwid store with a generated catalog of {CATALOG_SIZE} products, and a TikTok seller")
    store_id = w.ecwid.create_store("Demo Outdoor Goods", currency="USD")
    seeded = w.ecwid.seed_catalog(store_id, CATALOG_SIZE, seed=CATALOG_SEED)
    seller = w.tiktok.create_seller("Demo Outdoor Goods US", "US")
    flawed = Counter(s.flaws[0] for s in seeded if s.flaws)
    show(
        f"Ecwid store {store_id}: {len(seeded)} products, {sum(flawed.values())} with a deliberate flaw "
        f"({', '.join(f'{k} {v}' for k, v in sorted(flawed.items()))})"
    )
    show(f"TikTok seller {seller['id']} with one US shop")

    step("The merchant opens the install link and approves on Ecwid, then on TikTok Shop")
    started = time.monotonic()
    page = Browser().install(w, seller_id=seller["id"], store_id=store_id)
    if page.status_code != 200:
        raise DemoFailed(f"the install journey ended with HTTP {page.status_code}: {page.text[:300]}")
    values = page_values(page)
    merchant = Merchant(w.url, values["connection-id"], values["merchant-token"])
    show(
        f"install link -> Ecwid OAuth -> TikTok authorization -> callback: "
        f"{report.time('install (both consents)', time.monotonic() - started):.2f} s"
    )
    show(f"connection {merchant.connection_id}; the success page showed the merchant's API token once")

    step("The merchant reads their connection through the merchant API")
    view = expect(
        httpx.get(
            f"{w.url}/connections/{merchant.connection_id}",
            headers={"authorization": f"Bearer {merchant.token}"},
            timeout=30,
        ),
        200,
        "reading the connection",
    )
    show(f"state: {view['state']}  store currency: {view['store_currency']}  seller: {view['seller_name']}")
    for shop in view["shops"]:
        show(
            f"shop {shop['shop_id']} ({shop['region']}, {shop['currency']}), "
            f"default warehouse {shop['default_warehouse_id']}"
        )
    if view["state"] != "active":
        raise DemoFailed(f"the connection is {view['state']}: {view.get('reason')}")

    step("Connection check (verifies both sides, warehouses and currencies)")
    checked = merchant.call("POST", "/check", 200, "checking the connection")
    show(f"state after the check: {checked.get('state')}  reason: {checked.get('reason') or '-'}")

    step("Another merchant's token cannot read this connection")
    stranger = httpx.get(
        f"{w.url}/connections/{merchant.connection_id}", headers={"authorization": "Bearer not-theirs"}, timeout=30
    )
    show(f"answered HTTP {stranger.status_code}")
    if stranger.status_code not in (401, 403):
        raise DemoFailed("a foreign token was accepted")
    report.add(
        "connection", f"Ecwid store {store_id} <-> TikTok shop(s) {', '.join(s['shop_id'] for s in view['shops'])}"
    )
    return merchant, view, store_id, seeded


# ====================================================================================== catalog
def wait_for_reviews(w: Any, merchant: Merchant, timeout: float = 90) -> tuple[dict[str, int], int]:
    """Products by status once none is in review, and how often the listing poll had to run."""
    started = time.monotonic()
    polled: list[float] = []

    def reviewed() -> dict[str, int] | None:
        by_status = merchant.call("GET", "/overview", 200, "reading the overview")["products_by_status"]
        if not by_status.get("in_review"):
            return dict(by_status) or None
        if time.monotonic() - max([started, *polled]) > 20:  # a webhook lost: the listing-poll schedule's turn
            polled.append(time.monotonic())
            w.cloud.fire_schedule("CatalogStepFunction", "ListingPoll")
        return None

    return wait_for(reviewed, timeout, "reviews to finish", interval=0.5), len(polled)


def sync_catalog(w: Any, merchant: Merchant, report: Report) -> dict[str, dict[str, Any]]:
    step("The install pulls the store's catalog and pushes it to TikTok (the catalog state machine)")
    started = time.monotonic()

    def pull_task() -> dict[str, Any] | None:
        tasks = merchant.call("GET", "/tasks", 200, "listing tasks", params={"kind": "catalog_pull"})["tasks"]
        return tasks[0] if tasks else None

    task = wait_for(pull_task, 30, "the install's catalog pull task")
    task = merchant.follow(task["task_id"], "pushing products")
    counts = {k: v for k, v in task["counts"].items() if k != "done"}
    took = report.time("catalog: first sync", time.monotonic() - started)
    show(
        f"task {task['kind']}: {task['state']} in {took:.1f} s - "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )

    step("TikTok reviews the new listings (webhooks move them out of review)")
    started = time.monotonic()
    by_status, polls = wait_for_reviews(w, merchant)
    show(
        f"reviews done in {time.monotonic() - started:.1f} s"
        + (f" (the listing-poll schedule ran {polls} time(s))" if polls else "")
    )

    step("Product statuses, as the merchant API lists them (GET /connections/{id}/products)")
    products = {p["store_product_id"]: p for p in merchant.products()}
    show("by status: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()) if v))
    reasons = Counter(
        code for p in products.values() if p["status"] != "active" for code in p["problems"] or [p["status"]]
    )
    not_live = [p for p in products.values() if p["status"] != "active"]
    print(f"\n    {'store id':>9}  {'title':<24} {'status':<12} reason", flush=True)
    print(f"    {'-' * 9}  {'-' * 24} {'-' * 12} {'-' * 60}", flush=True)
    shown: set[str] = set()
    for p in sorted(not_live, key=lambda p: (p["status"], p["problems"][:1], int(p["store_product_id"]))):
        key = f"{p['status']}:{','.join(p['problems'][:1])}"
        if key in shown:
            continue  # one example per kind of reason; the counts follow
        shown.add(key)
        print(
            f"    {p['store_product_id']:>9}  {_clip(p['title'], 24):<24} {p['status']:<12} {_clip(p['reason'], 90)}",
            flush=True,
        )
    show("")
    show("reasons (problem code: products): " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()))
    live = sum(1 for p in products.values() if p["status"] == "active")
    if live < len(products) // 3:  # about half wait for category attributes the merchant has not filled yet
        raise DemoFailed(f"only {live} of {len(products)} products went live")
    report.add(
        "catalog",
        f"{len(products)} products pulled; {live} live on TikTok; "
        + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()) if v and k != "active"),
    )
    report.add("not synced, why", ", ".join(f"{k} {v}" for k, v in reasons.most_common()) or "-")
    return products


def fix_one(
    w: Any, merchant: Merchant, store_id: int, seeded: list[Any], products: dict[str, dict[str, Any]], report: Report
) -> str:
    from local.sandbox_ecwid.catalog import FLAW_NO_WEIGHT

    step("The merchant fixes a flawed product in the store (adds its missing weight) and re-syncs it")
    candidates = [
        str(s.product_id)
        for s in seeded
        if FLAW_NO_WEIGHT in s.flaws
        and products.get(str(s.product_id), {}).get("status") == "sync_failed"
        and products[str(s.product_id)]["problems"] == ["missing_weight"]
    ]
    if not candidates:
        raise DemoFailed("no product failed for its missing weight alone: the catalog's validation did not report it")
    product_id = candidates[0]
    show(f"product {product_id} '{products[product_id]['title']}': {products[product_id]['reason']}")
    started = time.monotonic()
    w.ecwid.update_product(store_id, int(product_id), {"weight": Decimal("0.8")})  # the store sends its webhook
    live = wait_for(
        lambda: (p := merchant.product(product_id))["status"] == "active" and p,
        60,
        f"product {product_id} live on TikTok after the fix",
    )
    show(
        f"store edit -> webhook -> pushed -> reviewed -> active on TikTok: "
        f"{report.time('catalog: store fix -> live', time.monotonic() - started):.1f} s "
        f"(TikTok product {live['tiktok_product_id']})"
    )
    task_id = merchant.call("POST", "/catalog/sync", 202, "re-syncing the product", json={"product_ids": [product_id]})[
        "task_id"
    ]
    task = merchant.follow(task_id, "re-sync")
    counts = {k: v for k, v in task["counts"].items() if k != "done"}
    show(
        f"re-sync task: {', '.join(f'{k} {v}' for k, v in sorted(counts.items()))} "
        "(already up to date on TikTok: nothing sent twice)"
    )
    report.add("fixed", f"product {product_id} (missing weight) -> active")
    return product_id


# ======================================================================================= orders
@dataclass
class Pick:
    store_product_id: str
    tiktok_product_id: str
    sku_id: str
    quantity: int


def pick_skus(w: Any, products: dict[str, dict[str, Any]], store_id: int, count: int) -> list[Pick]:
    """Live single-SKU products whose store stock is counted (not unlimited), a few units each."""
    picks: list[Pick] = []
    for p in sorted(products.values(), key=lambda p: int(p["store_product_id"])):
        if p["status"] != "active" or p["variant_count"] != 1 or not p["tiktok_product_id"]:
            continue
        in_store = w.ecwid.product(store_id, int(p["store_product_id"]))
        if in_store.get("unlimited") or int(in_store.get("quantity") or 0) < 5:
            continue
        skus = w.tiktok.product(p["tiktok_product_id"])["skus"]
        quantity = sum(i["quantity"] for i in skus[0]["inventory"])
        if len(skus) == 1 and quantity >= 5:
            picks.append(Pick(p["store_product_id"], p["tiktok_product_id"], skus[0]["id"], quantity))
        if len(picks) == count:
            return picks
    raise DemoFailed(f"fewer than {count} live products with stock to order")


def store_order(w: Any, store_id: int, tiktok_order_id: str) -> dict[str, Any] | None:
    return next((o for o in w.ecwid.orders(store_id) if str(o.get("externalOrderId")) == tiktok_order_id), None)


def orders(
    w: Any,
    merchant: Merchant,
    view: dict[str, Any],
    store_id: int,
    products: dict[str, dict[str, Any]],
    seeded: list[Any],
    report: Report,
) -> None:
    shop_id = view["shops"][0]["shop_id"]
    step("The merchant maps their carriers to TikTok shipping providers (settings)")
    providers = w.tiktok.shipping_providers(w.tiktok.state.shops[shop_id])  # the list Seller Center shows
    merchant.call(
        "PATCH",
        "/settings",
        200,
        "setting the carriers",
        json={
            "carriers": {"default_provider_id": providers[0]["id"], "by_carrier": {"UPS": providers[1]["id"]}},
            "orders": {"placeholder_email": "tiktok-buyers@demo.localhost"},
        },
    )
    show(f"UPS -> {providers[1]['name']} ({providers[1]['id']}); anything else -> {providers[0]['name']}")

    step("Buyers check out on TikTok Shop; the paid orders appear in the store")
    picks = pick_skus(w, products, store_id, 5)
    placed: dict[str, float] = {}
    for pick in picks[:4]:
        order_id = str(w.tiktok.place_order(shop_id, [(pick.sku_id, 1)])["id"])
        placed[order_id] = time.monotonic()
    seen: dict[str, dict[str, Any]] = {}

    def all_in_store() -> bool:
        for order_id, at in placed.items():
            if order_id not in seen and (found := store_order(w, store_id, order_id)) is not None:
                seen[order_id] = found
                report.time("order: paid on TikTok -> store order", time.monotonic() - at)
        return len(seen) == len(placed)

    wait_for(all_in_store, 60, "the paid orders in the store", interval=0.05)
    for order_id, found in seen.items():
        record = wait_for(
            lambda o=order_id: (r := merchant.order(o)) and r["state"] == "created" and r,  # type: ignore[misc]
            30,
            f"order {order_id} recorded",
        )
        show(
            f"TikTok order {order_id} -> store order {found['id']} ({record['currency']} {record['total']}, "
            f"{len(record['lines'])} line(s)), state {record['state']}"
        )
    relays = report.latencies["order: paid on TikTok -> store order"]
    show(f"paid on TikTok -> order in the store: max {max(relays):.2f} s over {len(relays)} orders")
    ship_id, cancel_id = list(seen)[:2]

    step("The merchant ships one order in the store with a UPS tracking number; TikTok gets it")
    started = time.monotonic()
    w.ecwid.state.update_order(
        store_id,
        str(seen[ship_id]["id"]),
        {
            "fulfillmentStatus": "SHIPPED",
            "trackingNumber": TRACKING,
            "shippingOption": {**(seen[ship_id].get("shippingOption") or {}), "shippingCarrierName": "UPS"},
        },
    )
    shipped = wait_for(
        lambda: (o := w.tiktok.order(ship_id))["status"] == "AWAITING_COLLECTION" and o,
        30,
        f"TikTok order {ship_id} shipped with its tracking",
    )
    if shipped.get("tracking_number") != TRACKING:
        raise DemoFailed(f"TikTok shows tracking {shipped.get('tracking_number')!r}, not the store's")
    show(
        f"TikTok order {ship_id}: {shipped['status']}, tracking {shipped['tracking_number']} via provider "
        f"{shipped.get('shipping_provider_id')}: "
        f"{report.time('order: store shipment -> TikTok tracking', time.monotonic() - started):.2f} s"
    )
    wait_for(lambda: (r := merchant.order(ship_id)) and r["state"] == "shipped", 30, "order recorded as shipped")

    step("The merchant cancels another order in the store; TikTok cancels it too")
    started = time.monotonic()
    w.ecwid.state.update_order(store_id, str(seen[cancel_id]["id"]), {"paymentStatus": "CANCELLED"})
    wait_for(lambda: w.tiktok.order(cancel_id)["status"] == "CANCELLED", 30, f"TikTok order {cancel_id} cancelled")
    show(
        f"TikTok order {cancel_id}: CANCELLED: "
        f"{report.time('order: store cancellation -> TikTok', time.monotonic() - started):.2f} s"
    )
    wait_for(lambda: (r := merchant.order(cancel_id)) and r["state"] == "cancelled", 30, "order recorded cancelled")

    blocked_order(w, merchant, shop_id, store_id, products, report)

    step("A stock change in the store reaches TikTok")
    pick = picks[4]
    new_quantity = pick.quantity + 17
    started = time.monotonic()
    w.ecwid.update_product(store_id, int(pick.store_product_id), {"quantity": new_quantity})

    def on_tiktok() -> int | None:
        skus = {s["id"]: s for s in w.tiktok.product(pick.tiktok_product_id)["skus"]}
        quantity = sum(i["quantity"] for i in skus[pick.sku_id]["inventory"])
        return quantity if quantity == new_quantity else None

    wait_for(on_tiktok, 30, f"TikTok SKU {pick.sku_id} at {new_quantity}", interval=0.02)
    show(
        f"store product {pick.store_product_id}: {pick.quantity} -> {new_quantity}; TikTok SKU {pick.sku_id} shows "
        f"{new_quantity} after {report.time('stock: store change -> TikTok', time.monotonic() - started):.2f} s"
    )

    listed = merchant.call("GET", "/orders", 200, "listing orders")["orders"]
    states = Counter(o["state"] for o in listed)
    in_store = Counter(str(o.get("externalOrderId")) for o in w.ecwid.orders(store_id))
    twice = [k for k, n in in_store.items() if n > 1]
    if twice or set(in_store) != {o["tiktok_order_id"] for o in listed}:
        raise DemoFailed(f"store orders do not match TikTok's one for one (twice: {twice})")
    report.add(
        "orders",
        f"{len(listed)} TikTok orders, each once in the store: "
        + ", ".join(f"{k} {v}" for k, v in sorted(states.items())),
    )


def blocked_order(
    w: Any, merchant: Merchant, shop_id: str, store_id: int, products: dict[str, dict[str, Any]], report: Report
) -> None:
    step("A listing made by hand in Seller Center sells; no store product is linked to it: the order is blocked")
    candidates = [
        p
        for p in sorted(products.values(), key=lambda p: int(p["store_product_id"]))
        if p["status"] == "sync_failed"
        and p["variant_count"] == 1
        and p["sku"]
        and p["enabled"]
        and not w.ecwid.product(store_id, int(p["store_product_id"])).get("unlimited")
        and int(w.ecwid.product(store_id, int(p["store_product_id"])).get("quantity") or 0) >= 2
    ]
    if not candidates:
        raise DemoFailed("no unlisted store product with stock to link a hand-made listing to")
    target = candidates[0]
    tiktok_product_id, sku_id = hand_made_listing(w, view_seller(w, shop_id), shop_id, target["sku"])
    show(
        f"TikTok listing {tiktok_product_id} (seller SKU {target['sku']}) was made in Seller Center; "
        f"store product {target['store_product_id']} is not on TikTok ({_clip(target['reason'], 60)})"
    )
    order_id = str(w.tiktok.place_order(shop_id, [(sku_id, 1)])["id"])
    record = wait_for(
        lambda: (r := merchant.order(order_id)) and r["state"] == "blocked" and r["attempts"] >= 4 and r,
        60,
        f"order {order_id} blocked after its automatic retries",
        interval=0.2,
    )
    show(f"order {order_id}: {record['state']} after {record['attempts']} attempts: {record['reason']}")
    if store_order(w, store_id, order_id) is not None:
        raise DemoFailed("a blocked order reached the store")
    report.add("blocked", f"order {order_id}: {record['reason']}")

    step("The merchant links the listing to the store product (merchant API) and retries the order")
    linked = merchant.call(
        "POST",
        f"/catalog/products/{target['store_product_id']}/link",
        200,
        "linking the listing by hand",
        json={"tiktok_product_id": tiktok_product_id},
    )
    show(
        f"linked by {linked['product']['linked_by']}: {len(linked['links'])} SKU link(s); "
        f"product status now {linked['product']['status']}"
    )
    started = time.monotonic()
    task_id = merchant.call("POST", f"/orders/{order_id}/retry", 202, "retrying the order")["task_id"]
    found = wait_for(lambda: store_order(w, store_id, order_id), 30, f"order {order_id} in the store after the retry")
    record = wait_for(
        lambda: (r := merchant.order(order_id)) and r["state"] == "created" and r, 30, f"order {order_id} recorded"
    )
    show(
        f"retry task {task_id}: order {order_id} -> store order {found['id']} "
        f"in {report.time('order: retry -> store order', time.monotonic() - started):.2f} s (state {record['state']})"
    )
    report.add("unblocked", f"order {order_id}: linked by hand, retried, relayed")


def fill_categories(w: Any, merchant: Merchant, report: Report) -> None:
    step("The merchant fills each category's required attributes once (merchant API); the held products sync")
    held = [
        p
        for p in merchant.products()
        if p["status"] == "sync_failed" and p["problems"] == ["missing_required_attribute"]
    ]
    if not held:
        raise DemoFailed("no product was held for a required attribute: the catalog's validation did not report it")
    mappings = merchant.call("GET", "/catalog/categories", 200, "listing category mappings")["categories"]
    filled = 0
    for mapping in mappings:
        missing = {a: spec for a, spec in mapping["attributes"].items() if a in mapping["required_attributes"]}
        if not missing:
            continue
        values: dict[str, list[dict[str, str]]] = {}
        chosen: list[str] = []
        for attribute_id, spec in missing.items():
            name, value_id = next(iter(spec["values"].items())) if spec["values"] else ("natural", "")
            values[attribute_id] = [{"id": value_id}] if value_id else [{"name": name.title()}]
            chosen.append(f"{spec['name']} = {name.title()}")
        merchant.call(
            "PUT",
            f"/catalog/categories/{mapping['store_category_id']}",
            200,
            f"filling category {mapping['store_category_id']}",
            json={"attribute_values": values},
        )
        filled += 1
        show(
            f"{mapping['store_category_name'] or mapping['store_category_id']} -> "
            f"{mapping['tiktok_category_name']}: {', '.join(chosen)}"
        )
    started = time.monotonic()
    task_id = merchant.call(
        "POST",
        "/catalog/sync",
        202,
        "syncing the held products",
        json={"product_ids": [p["store_product_id"] for p in held]},
    )["task_id"]
    task = merchant.follow(task_id, "syncing held products")
    counts = {k: v for k, v in task["counts"].items() if k != "done"}
    by_status, _ = wait_for_reviews(w, merchant)
    took = report.time("catalog: category fill -> live", time.monotonic() - started)
    show(
        f"task {task['kind']}: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        + f"; reviewed in {took:.1f} s"
    )
    show("by status now: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()) if v))
    if counts.get("created", 0) < len(held) * 9 // 10:
        raise DemoFailed(f"only {counts.get('created', 0)} of {len(held)} held products went to TikTok after the fill")
    report.add(
        "categories filled",
        f"{filled} categories; {counts.get('created', 0)} of {len(held)} held "
        f"products then created; now " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()) if v),
    )


def view_seller(w: Any, shop_id: str) -> str:
    return str(w.tiktok.state.shops[shop_id].seller_id)


def hand_made_listing(w: Any, seller_id: str, shop_id: str, seller_sku: str) -> tuple[str, str]:
    """A listing made in Seller Center (the seller's own call to TikTok), live at once."""
    from connector.tiktok.client import ShopRef, TikTokClient
    from connector.tiktok.models import (
        ImageRef,
        InventoryEntry,
        PackageDimensions,
        PackageWeight,
        Price,
        ProductInput,
        SkuInput,
    )
    from connector.tiktok.oauth import StaticToken
    from local.sandbox_ecwid.images import render_png

    shop = w.tiktok.state.shops[shop_id]
    warehouse = shop.default_warehouse().id
    tokens = w.tiktok.issue_tokens(seller_id)
    client = TikTokClient(
        w.app_secret["tiktok_app_key"],
        w.app_secret["tiktok_app_secret"],
        api_base=w.tiktok.url,
        auth_base=w.tiktok.auth_url,
    ).with_tokens(StaticToken(tokens["access_token"]))
    ref = ShopRef(shop_id, shop.cipher)
    image = client.upload_image(ref, render_png(800, 800, (10, 120, 200), "hand"))
    created = client.create_product(
        ref,
        ProductInput(
            title="Hand made listing",
            description="<p>Made in Seller Center</p>",
            category_id="1000945",
            category_version="v2",
            main_images=[ImageRef(uri=image.uri)],
            skus=[
                SkuInput(
                    seller_sku=seller_sku,
                    inventory=[InventoryEntry(warehouse_id=warehouse, quantity=5)],
                    price=Price(amount=Decimal("12.00"), currency="USD"),
                )
            ],
            package_weight=PackageWeight(value="0.5", unit="KILOGRAM"),
            package_dimensions=PackageDimensions(length="10", width="10", height="10", unit="CENTIMETER"),
        ),
    )
    w.tiktok.review_now(created.product_id)
    return str(created.product_id), str(created.skus[0].id)


# ======================================================================================= canary
def canary(w: Any, report: Report) -> None:
    step("An operator canary crosses API -> tasks queue -> worker -> state machine -> table")
    canary_id = expect(signed("POST", f"{w.url}/ops/canary"), 202, "starting the canary")["canary_id"]
    run = wait_for(
        lambda: (
            (r := expect(signed("GET", f"{w.url}/ops/canary/{canary_id}"), 200, "reading the canary")).get("status")
            == "completed"
            and r
        ),
        30,
        "the canary to complete",
        interval=0.05,
    )
    show(f"stages {', '.join(run['stages'])}: {run['latency_ms']} ms end to end")
    report.add("canary", f"{run['latency_ms']} ms end to end")


def final_report(w: Any, merchant: Merchant, report: Report) -> None:
    step("Report")
    overview = merchant.call("GET", "/overview", 200, "reading the overview")
    revenue = ", ".join(f"{c} {v}" for c, v in overview["revenue"].items()) or "-"
    report.add("revenue (overview)", f"{revenue} over {overview['orders']} orders")
    width = max(len(k) for k, _ in report.figures)
    for what, value in report.figures:
        show(f"{what:<{width}}  {value}")
    show("")
    show("latencies seen (seconds):")
    for what, values in report.latencies.items():
        if len(values) > 1:
            show(f"  {what:<42} median {statistics.median(values):6.2f}  max {max(values):6.2f}  (n={len(values)})")
        else:
            show(f"  {what:<42} {values[0]:6.2f}")
    show("")
    show(f"tokens are stored only as KMS ciphertext; function logs: {w.cloud.function_log}")


def journey(w: Any, keep: bool) -> int:
    report = Report()
    merchant, view, store_id, seeded = connect(w, report)
    products = sync_catalog(w, merchant, report)
    fix_one(w, merchant, store_id, seeded, products, report)
    orders(w, merchant, view, store_id, products, seeded, report)
    fill_categories(w, merchant, report)
    canary(w, report)
    final_report(w, merchant, report)
    print("\nDEMO OK: every step worked.", flush=True)
    print(
        f"\nThe merchant console: {console_link(merchant)}\n    (a sign-in link valid 15 minutes; "
        f"{w.url}/console asks for the connection id and token)",
        flush=True,
    )
    if keep:
        print(
            f"\nEverything keeps running:\n    gateway        {w.url}\n    install link   {w.install_link()}"
            f"\n    merchant API   {w.url}/connections/{merchant.connection_id} (Bearer token: the success page's)"
            f"\n    OpenAPI        {w.url}/openapi.json"
            f"\n    TikTok sandbox {w.tiktok.url}\n    Ecwid sandbox  {w.ecwid.url}\n(Ctrl-C to stop)",
            flush=True,
        )
        while True:
            time.sleep(3600)
    return 0


def console_link(merchant: Merchant) -> str:
    """A sign-in link to the merchant console (the merchant API hands it out as a redirect)."""
    answer = httpx.get(
        f"{merchant.url}/connections/{merchant.connection_id}/console",
        headers={"authorization": f"Bearer {merchant.token}"},
        timeout=30,
    )
    if answer.status_code != 302:
        raise DemoFailed(f"no console sign-in link: {answer.status_code} {answer.text[:200]}")
    return str(answer.headers["location"])


def run(keep: bool) -> int:
    from local.world import world

    step("Starting the sandbox TikTok Shop, the sandbox Ecwid store and the local cloud (template.yaml)")
    started = time.monotonic()
    log_path = Path(".local-cloud") / "functions.log"
    # Short retry pauses so the journey's retries happen while you watch (defaults: 5 s, 600 s).
    with world(
        function_log=log_path,
        parameters={"CatalogRetrySeconds": 1, "OrderBlockedRetrySeconds": 1, "OrderRelayRetrySeconds": 1},
    ) as w:
        info = w.cloud.describe()
        show(
            f"up in {time.monotonic() - started:.1f} s: {len(info['functions'])} functions, "
            f"{len(info['queues'])} queues, {len(info['state_machines'])} state machine(s), "
            f"{len(info['routes'])} routes"
        )
        show(f"gateway {w.url}")
        try:
            return journey(w, keep)
        finally:  # no webhook lands on a cloud that is stopping
            w.tiktok.set_webhook_url(None)
            w.ecwid.set_webhook_url(None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The connector's journey on the local cloud.")
    parser.add_argument("--keep", action="store_true", help="leave everything running and print the URLs")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        code = run(args.keep)
    except KeyboardInterrupt:
        code = 0
    except Exception as exc:  # every failure ends the demo with its step and reason
        kind = "" if isinstance(exc, DemoFailed) else f"{type(exc).__name__}: "
        print(f'\nDEMO FAILED at step "{_CURRENT["step"]}": {kind}{exc}', file=sys.stderr, flush=True)
        code = 1
    print(f"(demo wall time {time.monotonic() - started:.0f} s)", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
