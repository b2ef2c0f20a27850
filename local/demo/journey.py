"""The merchant's journey, the same on every store platform: each store-side step goes through
the store's driver (``local.demo.store``), everything else through the public paths (the
install link, the merchant API, the sandbox TikTok, the ops routes)."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx

from local.demo.listing import hand_made_listing, view_seller
from local.demo.merchant import Merchant, console_link, expect, signed
from local.demo.output import DemoFailed, Report, clip, show, step, wait_for
from local.demo.store import Seeded, StoreDriver

CATALOG_SIZE = 200
CATALOG_SEED = 7
TRACKING = "1Z999AA10123456784"
PACKAGE = {"length": "30", "width": "20", "height": "10", "dimension_unit": "cm"}
"""The merchant's default package size, for a store that keeps no dimensions."""
NO_WEIGHT = "no_weight"
"""The generated catalogs' flaw (on every platform) of a product without a weight."""


# ====================================================================================== connect
def connect(w: Any, store: StoreDriver, report: Report) -> tuple[Merchant, dict[str, Any], list[Seeded]]:
    from local.world import Browser, page_values

    step(
        f"A merchant's {store.platform} store with a generated catalog of {CATALOG_SIZE} products, "
        "and a TikTok seller"
    )
    seeded = store.create("Demo Outdoor Goods", currency="USD", products=CATALOG_SIZE, seed=CATALOG_SEED)
    seller = w.tiktok.create_seller("Demo Outdoor Goods US", "US")
    flawed = Counter(s.flaws[0] for s in seeded if s.flaws)
    show(
        f"{store.describe()}: {len(seeded)} products, {sum(flawed.values())} with a deliberate flaw "
        f"({', '.join(f'{k} {v}' for k, v in sorted(flawed.items()))})"
    )
    show(f"TikTok seller {seller['id']} with one US shop")

    step(f"The merchant opens the install link and approves on {store.platform}, then on TikTok Shop")
    started = time.monotonic()
    page = store.install(Browser(), seller["id"])
    if page.status_code != 200:
        raise DemoFailed(f"the install journey ended with HTTP {page.status_code}: {page.text[:300]}")
    values = page_values(page)
    merchant = Merchant(w.url, values["connection-id"], values["merchant-token"])
    show(
        f"install link -> {store.platform} OAuth -> TikTok authorization -> callback: "
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
        "connection", f"{store.describe()} <-> TikTok shop(s) {', '.join(s['shop_id'] for s in view['shops'])}"
    )
    return merchant, view, seeded


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


def sync_catalog(w: Any, store: StoreDriver, merchant: Merchant, report: Report) -> None:
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
    if not store.keeps_dimensions:
        by_status = package_size(w, store, merchant, report)

    step("Product statuses, as the merchant API lists them (GET /connections/{id}/products)")
    products = {p["store_product_id"]: p for p in merchant.products()}
    show("by status: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()) if v))
    reasons = Counter(
        code for p in products.values() if p["status"] != "active" for code in p["problems"] or [p["status"]]
    )
    not_live = [p for p in products.values() if p["status"] != "active"]
    print(f"\n    {'store id':>10}  {'title':<24} {'status':<12} reason", flush=True)
    print(f"    {'-' * 10}  {'-' * 24} {'-' * 12} {'-' * 60}", flush=True)
    shown: set[str] = set()
    for p in sorted(not_live, key=lambda p: (p["status"], p["problems"][:1], int(p["store_product_id"]))):
        key = f"{p['status']}:{','.join(p['problems'][:1])}"
        if key in shown:
            continue  # one example per kind of reason; the counts follow
        shown.add(key)
        print(
            f"    {p['store_product_id']:>10}  {clip(p['title'], 24):<24} {p['status']:<12} {clip(p['reason'], 90)}",
            flush=True,
        )
    show("")
    show("reasons (problem code: products): " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()))
    live = sum(1 for p in products.values() if p["status"] == "active")
    waiting = sum(1 for p in products.values() if p["problems"] == ["missing_required_attribute"])
    if not live or live + waiting < len(products) // 2:  # many wait for the category attributes the merchant fills next
        raise DemoFailed(f"only {live} of {len(products)} products went live ({waiting} wait for category attributes)")
    report.add(
        "catalog",
        f"{len(products)} products pulled; {live} live on TikTok; "
        + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()) if v and k != "active"),
    )
    report.add("not synced, why", ", ".join(f"{k} {v}" for k, v in reasons.most_common()) or "-")


def package_size(w: Any, store: StoreDriver, merchant: Merchant, report: Report) -> dict[str, int]:
    """The merchant sets the connection's default package size (the store keeps no dimensions) and
    syncs the products TikTok's required dimensions held back; products by status afterwards."""
    held = [p for p in merchant.products() if "missing_dimensions" in p["problems"]]
    show(f"{len(held)} products held: {store.platform} keeps no package dimensions and TikTok requires them")
    step(f"The merchant sets a default package size ({store.platform} keeps no dimensions) and syncs the held products")
    merchant.call("PATCH", "/settings", 200, "setting the default package size", json={"package": PACKAGE})
    show(f"default package {PACKAGE['length']} x {PACKAGE['width']} x {PACKAGE['height']} {PACKAGE['dimension_unit']}")
    started = time.monotonic()
    task_id = merchant.call(
        "POST", "/catalog/sync", 202, "syncing the held products",
        json={"product_ids": [p["store_product_id"] for p in held]},
    )["task_id"]
    task = merchant.follow(task_id, "syncing held products")
    counts = {k: v for k, v in task["counts"].items() if k != "done"}
    by_status, _ = wait_for_reviews(w, merchant)
    took = report.time("catalog: package size -> reviewed", time.monotonic() - started)
    done = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    show(f"task {task['kind']}: {done}; reviewed in {took:.1f} s")
    report.add("package size", f"default {PACKAGE['length']}x{PACKAGE['width']}x{PACKAGE['height']} cm; "
               f"{len(held)} held products synced again")
    return by_status


def fix_one(
    store: StoreDriver, merchant: Merchant, seeded: list[Seeded], products: dict[str, dict[str, Any]], report: Report
) -> str:
    step("The merchant fixes a flawed product in the store (adds its missing weight) and re-syncs it")
    candidates = [
        s.product_id
        for s in seeded
        if NO_WEIGHT in s.flaws
        and products.get(s.product_id, {}).get("status") == "sync_failed"
        and products[s.product_id]["problems"] == ["missing_weight"]
    ]
    if not candidates:
        raise DemoFailed("no product failed for its missing weight alone: the catalog's validation did not report it")
    product_id = candidates[0]
    show(f"product {product_id} '{products[product_id]['title']}': {products[product_id]['reason']}")
    started = time.monotonic()
    store.add_weight(product_id)  # the store sends its webhook
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


def pick_skus(w: Any, store: StoreDriver, products: dict[str, dict[str, Any]], count: int) -> list[Pick]:
    """Live single-SKU products whose store stock is counted (not unlimited), a few units each."""
    picks: list[Pick] = []
    for p in sorted(products.values(), key=lambda p: int(p["store_product_id"])):
        if p["status"] != "active" or p["variant_count"] != 1 or not p["tiktok_product_id"]:
            continue
        in_store = store.counted_stock(p["store_product_id"])
        if in_store is None or in_store < 5:
            continue
        skus = w.tiktok.product(p["tiktok_product_id"])["skus"]
        quantity = sum(i["quantity"] for i in skus[0]["inventory"])
        if len(skus) == 1 and quantity >= 5:
            picks.append(Pick(p["store_product_id"], p["tiktok_product_id"], skus[0]["id"], quantity))
        if len(picks) == count:
            return picks
    raise DemoFailed(f"fewer than {count} live products with stock to order")


def orders(
    w: Any,
    store: StoreDriver,
    merchant: Merchant,
    view: dict[str, Any],
    products: dict[str, dict[str, Any]],
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
    picks = pick_skus(w, store, products, 5)
    placed: dict[str, float] = {}
    for pick in picks[:4]:
        order_id = str(w.tiktok.place_order(shop_id, [(pick.sku_id, 1)])["id"])
        placed[order_id] = time.monotonic()
    seen: dict[str, dict[str, Any]] = {}

    def all_in_store() -> bool:
        for order_id, at in placed.items():
            if order_id not in seen and (found := store.order_for(order_id)) is not None:
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
    store.ship(str(seen[ship_id]["id"]), TRACKING, "UPS")
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
    store.cancel(str(seen[cancel_id]["id"]))
    wait_for(lambda: w.tiktok.order(cancel_id)["status"] == "CANCELLED", 30, f"TikTok order {cancel_id} cancelled")
    show(
        f"TikTok order {cancel_id}: CANCELLED: "
        f"{report.time('order: store cancellation -> TikTok', time.monotonic() - started):.2f} s"
    )
    wait_for(lambda: (r := merchant.order(cancel_id)) and r["state"] == "cancelled", 30, "order recorded cancelled")

    blocked_order(w, store, merchant, shop_id, products, report)

    step("A stock change in the store reaches TikTok")
    pick = picks[4]
    new_quantity = pick.quantity + 17
    started = time.monotonic()
    store.set_stock(pick.store_product_id, new_quantity)

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
    in_store = Counter(store.tiktok_order_ids())
    twice = [k for k, n in in_store.items() if n > 1]
    if twice or set(in_store) != {o["tiktok_order_id"] for o in listed}:
        raise DemoFailed(f"store orders do not match TikTok's one for one (twice: {twice})")
    report.add(
        "orders",
        f"{len(listed)} TikTok orders, each once in the store: "
        + ", ".join(f"{k} {v}" for k, v in sorted(states.items())),
    )


def blocked_order(
    w: Any, store: StoreDriver, merchant: Merchant, shop_id: str, products: dict[str, dict[str, Any]], report: Report
) -> None:
    step("A listing made by hand in Seller Center sells; no store product is linked to it: the order is blocked")
    candidates = [
        p
        for p in sorted(products.values(), key=lambda p: int(p["store_product_id"]))
        if p["status"] == "sync_failed"
        and p["variant_count"] == 1
        and p["sku"]
        and p["enabled"]
        and (store.counted_stock(p["store_product_id"]) or 0) >= 2
    ]
    if not candidates:
        raise DemoFailed("no unlisted store product with stock to link a hand-made listing to")
    target = candidates[0]
    tiktok_product_id, sku_id = hand_made_listing(w, view_seller(w, shop_id), shop_id, target["sku"])
    show(
        f"TikTok listing {tiktok_product_id} (seller SKU {target['sku']}) was made in Seller Center; "
        f"store product {target['store_product_id']} is not on TikTok ({clip(target['reason'], 60)})"
    )
    order_id = str(w.tiktok.place_order(shop_id, [(sku_id, 1)])["id"])
    record = wait_for(
        lambda: (r := merchant.order(order_id)) and r["state"] == "blocked" and r["attempts"] >= 4 and r,
        60,
        f"order {order_id} blocked after its automatic retries",
        interval=0.2,
    )
    show(f"order {order_id}: {record['state']} after {record['attempts']} attempts: {record['reason']}")
    if store.order_for(order_id) is not None:
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
    found = wait_for(lambda: store.order_for(order_id), 30, f"order {order_id} in the store after the retry")
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
    listed = [p for p in merchant.products() if p["status"] == "sync_failed"]
    held = [p for p in listed if p["problems"] == ["missing_required_attribute"]]
    # Products held for an attribute and for something else too are checked again: what is left is
    # then their own problem.
    again = [p for p in listed if "missing_required_attribute" in p["problems"]]
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
        json={"product_ids": [p["store_product_id"] for p in again]},
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


def journey(w: Any, store: StoreDriver, keep: bool) -> int:
    report = Report()
    merchant, view, seeded = connect(w, store, report)
    sync_catalog(w, store, merchant, report)
    fill_categories(w, merchant, report)
    products = {p["store_product_id"]: p for p in merchant.products()}
    fix_one(store, merchant, seeded, products, report)
    orders(w, store, merchant, view, products, report)
    canary(w, report)
    final_report(w, merchant, report)
    print("\nDEMO OK: every step worked.", flush=True)
    print(
        f"\nThe merchant console: {console_link(merchant)}\n    (a sign-in link valid 15 minutes; "
        f"{w.url}/console asks for the connection id and token)",
        flush=True,
    )
    if keep:
        places = [
            ("gateway", w.url),
            *store.urls(),
            ("merchant API", f"{w.url}/connections/{merchant.connection_id} (Bearer token: the success page's)"),
            ("OpenAPI", f"{w.url}/openapi.json"),
            ("TikTok sandbox", w.tiktok.url),
        ]
        lines = "".join(f"\n    {label:<15} {url}" for label, url in places)
        print(f"\nEverything keeps running:{lines}\n(Ctrl-C to stop)", flush=True)
        while True:
            time.sleep(3600)
    return 0

