"""A real browser for the console tests: Debian's chromium driven by Playwright (never a
browser Playwright downloads), with Ecwid's SDK and CSS answered by local stubs and an "Ecwid
admin" host page that frames the console the way Ecwid's admin does."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from connector.catalog.records import ProductRecord, ProductRepository
from connector.tasks import TaskRepository
from local.world import Browser, World, page_values
from tests.support.wait import until

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


class AdminHost:
    """The stand-in Ecwid admin: a real server on loopback (Chromium refuses a page without a
    local address framing a local server), on ``localhost`` so the frame is cross-site as in
    Ecwid's admin. The world's functions get its origin as ``CONSOLE_FRAME_ANCESTORS``."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = ADMIN_PAGE.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, console_url: str) -> str:
        """The admin page framing ``console_url`` (``#app=`` carries it)."""
        from urllib.parse import quote

        return f"{self.origin}/store/{secrets.token_hex(3)}#app={quote(console_url, safe='')}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
SDK_STUB = "window.EcwidApp = {init: function (o) { window.ecwidInit = o; }, getPayload: function () { return {}; }};"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"


def missing_browser() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing: apt-get install -y chromium"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is missing: pip install -e '.[dev]'"
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def stub_ecwid(context: Any) -> list[str]:
    """Answer Ecwid's CDN locally; every other outside request is refused (and listed)."""
    outside: list[str] = []

    def sdk(route: Any) -> None:
        route.fulfill(status=200, content_type="text/javascript", body=SDK_STUB)

    def css(route: Any) -> None:
        route.fulfill(status=200, content_type="text/css", body="body.normalized { margin: 0; }")

    def refuse(route: Any) -> None:
        outside.append(route.request.url)
        route.abort()

    context.route("https://djqizrxa6f10j.cloudfront.net/**", sdk)
    context.route("https://d35z3p2poghz10.cloudfront.net/**/*.css", css)
    context.route("https://d35z3p2poghz10.cloudfront.net/**/*.js", sdk)
    context.route(lambda url: not url.startswith(("http://127.0.0.1", "http://localhost",
                                                   "https://djqizrxa6f10j", "https://d35z3p2poghz10",
                                                   "data:", "about:")), refuse)
    return outside


ADMIN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Ecwid admin (local stand-in)</title>
<style>body{margin:0;font-family:sans-serif;display:flex;min-height:100vh}
aside{width:190px;background:#27313f;color:#cfd6df;padding:16px;font-size:14px}
aside b{display:block;color:#fff;margin-bottom:12px}
iframe{flex:1;border:0;min-height:100vh}</style></head>
<body><aside><b>Store admin</b>Sales channels<br>&rsaquo; TikTok Shop</aside>
<iframe id="app" title="TikTok Shop app"></iframe>
<script>document.getElementById('app').src = decodeURIComponent(location.hash.slice(5));</script>
</body></html>"""


def payload(content: dict[str, Any], client_secret: str) -> str:
    from connector.console.payload import encrypt

    return encrypt(content, client_secret, secrets.token_bytes(16))


# ------------------------------------------------------------- the console tests' shared steps
def install(w: World, name: str, n_products: int, seed: int) -> dict[str, Any]:
    seller = w.tiktok.create_seller(f"{name} seller", "US")
    store = w.ecwid.create_store(f"{name} store", currency="USD")
    seeded = w.ecwid.seed_catalog(store, n_products, seed=seed) if n_products else []
    values = page_values(Browser().install(w, seller_id=seller["id"], store_id=store))
    shop: dict[str, Any] = {"id": values["connection-id"], "token": values["merchant-token"], "store": store,
                            "seller": seller, "seeded": seeded}
    if n_products:
        tasks = TaskRepository(w.cloud.table_name(), w.cloud.client("dynamodb"))
        until(lambda: any(t.kind == "catalog_pull" and t.state == "completed" for t in tasks.recent(shop["id"])),
              timeout=120, interval=0.3, what="first catalog pull")
    return shop


def products(w: World, conn: str) -> dict[str, ProductRecord]:
    repo = ProductRepository(w.cloud.table_name(), w.cloud.client("dynamodb"))
    return {r.store_product_id: r for r in repo.all(conn)}


def shoot(target: Any, name: str) -> None:
    """Keep a picture of the screen (under docs/console when CONSOLE_SCREENSHOTS=1)."""
    if os.environ.get("CONSOLE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def go(frame: Any, hash_: str, heading: str) -> None:
    """Open a screen by its address and wait until it replaced the one before."""
    if frame.locator("body").evaluate(f"() => location.hash !== {hash_!r}"):
        frame.locator("#view").evaluate("view => view.insertAdjacentHTML('beforeend', '<i id=stale></i>')")
        frame.locator("body").evaluate(f"() => {{ location.hash = {hash_!r}; }}")
        frame.locator("#stale").wait_for(state="detached", timeout=20000)
    frame.locator("main h1", has_text=heading).first.wait_for(timeout=20000)


def task_finished(frame: Any) -> None:
    """Wait for the task screen to show a finished task (the notice says why when none came)."""
    try:
        frame.locator("#task[data-state=completed]").wait_for(timeout=90000)
    except Exception as exc:  # playwright's TimeoutError: say what the screen showed
        raise AssertionError(f"no finished task; the notice said {frame.locator('#notice').inner_text()!r}, "
                             f"the screen {frame.locator('#view').inner_text()[:500]!r}") from exc
