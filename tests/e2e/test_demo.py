"""`make demo` end to end: the whole merchant journey (``python -m local.demo``) in its own
process, as a new user runs it, with an Ecwid store and with a Shopify store (``--store``). It
must exit 0 and show every step of the journey and the report; it must never print a merchant
token or a buyer's address."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# A journey of minutes: it starts first, so the workers share the long files (tests/conftest.py).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
STEPS = (
    "The install pulls the store's catalog and pushes it to TikTok",
    "Product statuses, as the merchant API lists them",
    "The merchant fixes a flawed product in the store",
    "Buyers check out on TikTok Shop; the paid orders appear in the store",
    "ships one order in the store with a UPS tracking number; TikTok gets it",
    "cancels another order in the store; TikTok cancels it too",
    "the order is blocked",
    "links the listing to the store product (merchant API) and retries the order",
    "A stock change in the store reaches TikTok",
    "fills each category's required attributes once",
    "An operator canary crosses",
    "Report",
)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("store", ["ecwid", "shopify"])
def test_the_demo_walks_the_whole_journey_and_exits_0(tmp_path: Path, store: str) -> None:
    done = subprocess.run([sys.executable, "-m", "local.demo", "--store", store], cwd=ROOT,  # noqa: S603
                          capture_output=True, text=True, timeout=840, check=False,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    out = done.stdout
    (tmp_path / "demo.out").write_text(out + "\n--- stderr ---\n" + done.stderr)
    assert done.returncode == 0, f"demo failed: {done.stderr[-2000:]}"
    assert "DEMO OK" in out and "DEMO FAILED" not in done.stderr
    assert re.search(r"The merchant console: http://127\.0\.0\.1:\d+/console#signin=sc\.", out), out[-1500:]
    platform = store.title()
    steps = (f"The merchant opens the install link and approves on {platform}, then on TikTok Shop", *STEPS)
    if store == "shopify":  # Shopify keeps no package dimensions: the merchant sets a default size
        steps += ("The merchant sets a default package size (Shopify keeps no dimensions)",)
    missing = [s for s in steps if s not in out]
    assert not missing, missing
    # The product table shows reasons in plain words, and the deliberate flaws were caught.
    assert "missing_weight" in out and "sync_failed" in out
    assert re.search(r"store edit -> webhook -> pushed -> reviewed -> active on TikTok: [\d.]+ s", out)
    assert re.search(r"order \d+: blocked after \d+ attempts: .*not linked", out)
    assert "tracking 1Z999AA10123456784" in out and "CANCELLED" in out
    assert re.search(r"categories filled +\d+ categories; \d+ of \d+ held products then created", out)
    for line in ("paid on TikTok -> store order", "catalog: category fill -> live", "store shipment -> TikTok tracking",
                 "stock: store change -> TikTok"):
        assert line in out, line
    # Nothing secret or personal: the merchant token and buyers' addresses stay out of the output.
    assert "merchant-token" not in out and "Los Angeles" not in out and "Bearer " not in out.replace(
        "(Bearer token: the success page's)", "")
