"""`make demo`: the connector's journey on the local cloud, shown step by step.

Starts the sandbox TikTok Shop, the sandbox Ecwid store and the local cloud (template.yaml in
moto's server) wired together, then walks what exists today: a merchant with a generated
catalog opens the install link and approves on both sides; the connection comes up with its
shop, warehouse and currency check; the connection is checked again from the merchant API; an
operator canary crosses the queue, the worker, the state machine and the table. Catalog sync
and the order relay join this journey as those features land (see the README's status).

Exits 0 when every step worked, non-zero with the reason otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import httpx

CATALOG_SIZE = 200


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def show(text: str) -> None:
    print(f"    {text}", flush=True)


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
        raise RuntimeError(f"{what}: expected HTTP {status}, got {response.status_code}: {response.text[:300]}")
    body: dict[str, Any] = response.json() if response.content else {}
    return body


def journey(w: Any, keep: bool) -> int:
    from local.world import Browser, page_values

    step(f"A merchant's Ecwid store with a generated catalog of {CATALOG_SIZE} products, and a TikTok seller")
    store_id = w.ecwid.create_store("Demo Outdoor Goods", currency="USD")
    seeded = w.ecwid.seed_catalog(store_id, CATALOG_SIZE, seed=7)
    seller = w.tiktok.create_seller("Demo Outdoor Goods US", "US")
    show(f"Ecwid store {store_id}: {len(seeded)} products; TikTok seller {seller['id']} with one US shop")

    step("The merchant opens the install link and approves on Ecwid, then on TikTok Shop")
    started = time.monotonic()
    browser = Browser()
    page = browser.install(w, seller_id=seller["id"], store_id=store_id)
    if page.status_code != 200:
        raise RuntimeError(f"the install journey ended with HTTP {page.status_code}: {page.text[:300]}")
    values = page_values(page)
    connection_id, token = values["connection-id"], values["merchant-token"]
    show(f"install link -> Ecwid OAuth -> TikTok authorization -> callback: {time.monotonic() - started:.2f} s")
    show(f"connection {connection_id}; the success page showed the merchant's API token once")

    step("The merchant reads their connection through the merchant API")
    headers = {"authorization": f"Bearer {token}"}
    view = expect(httpx.get(f"{w.url}/connections/{connection_id}", headers=headers, timeout=30), 200,
                  "reading the connection")
    show(f"state: {view['state']}  store currency: {view['store_currency']}  seller: {view['seller_name']}")
    for shop in view["shops"]:
        show(f"shop {shop['shop_id']} ({shop['region']}, {shop['currency']}), "
             f"default warehouse {shop['default_warehouse_id']}")
    if view["state"] != "active":
        raise RuntimeError(f"the connection is {view['state']}: {view.get('reason')}")

    step("Connection check (verifies both sides, warehouses and currencies)")
    checked = expect(httpx.post(f"{w.url}/connections/{connection_id}/check", headers=headers, timeout=30), 200,
                     "checking the connection")
    show(f"state after the check: {checked.get('state')}  reason: {checked.get('reason') or '-'}")

    step("Another merchant's token cannot read this connection")
    stranger = httpx.get(f"{w.url}/connections/{connection_id}", headers={"authorization": "Bearer not-theirs"},
                         timeout=30)
    show(f"answered HTTP {stranger.status_code}")
    if stranger.status_code not in (401, 403):
        raise RuntimeError("a foreign token was accepted")

    step("An operator canary crosses API -> tasks queue -> worker -> state machine -> table")
    canary_id = expect(signed("POST", f"{w.url}/ops/canary"), 202, "starting the canary")["canary_id"]
    deadline = time.monotonic() + 30
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        run = expect(signed("GET", f"{w.url}/ops/canary/{canary_id}"), 200, "reading the canary")
        if run.get("status") == "completed":
            break
        time.sleep(0.05)
    else:
        raise RuntimeError(f"the canary stalled after stages {sorted(run.get('stages', {}))}")
    show(f"stages {', '.join(run['stages'])}: {run['latency_ms']} ms end to end")

    step("Report")
    show(f"connected: Ecwid store {store_id} <-> TikTok shop(s) {', '.join(s['shop_id'] for s in view['shops'])}")
    show(f"tokens are stored only as KMS ciphertext; function logs: {w.cloud.function_log}")
    show("Catalog sync and the order relay join this journey as those features land (README status).")
    if keep:
        print(f"\nEverything keeps running:\n    gateway        {w.url}\n    install link   {w.install_link()}"
              f"\n    TikTok sandbox {w.tiktok.url}\n    Ecwid sandbox  {w.ecwid.url}\n(Ctrl-C to stop)", flush=True)
        while True:
            time.sleep(3600)
    return 0


def run(keep: bool) -> int:
    from local.world import world

    step("Starting the sandbox TikTok Shop, the sandbox Ecwid store and the local cloud (template.yaml)")
    started = time.monotonic()
    log_path = Path(".local-cloud") / "functions.log"
    with world(function_log=log_path) as w:
        info = w.cloud.describe()
        show(f"up in {time.monotonic() - started:.1f} s: {len(info['functions'])} functions, "
             f"{len(info['queues'])} queues, {len(info['state_machines'])} state machine(s), "
             f"{len(info['routes'])} routes")
        show(f"gateway {w.url}")
        return journey(w, keep)


def main() -> None:
    parser = argparse.ArgumentParser(description="The connector's journey on the local cloud.")
    parser.add_argument("--keep", action="store_true", help="leave everything running and print the URLs")
    args = parser.parse_args()
    try:
        code = run(args.keep)
    except KeyboardInterrupt:
        code = 0
    except Exception as exc:
        print(f"\nDEMO FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
