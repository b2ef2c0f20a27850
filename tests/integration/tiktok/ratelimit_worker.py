"""A worker process for the cross-process rate-limit test (spawned; keep imports light)."""

from __future__ import annotations

import os
import time
from typing import Any


def hammer(args: dict[str, Any], ready: Any, start_at: Any, results: Any) -> None:
    """Call one TikTok API as fast as the limiter allows between ``start_at`` and its end."""
    import httpx

    from connector.ratelimit import DynamoRateLimiter, LocalRateLimiter
    from connector.tiktok import errors as e
    from connector.tiktok.client import RetryPolicy, ShopRef, TikTokClient
    from connector.tiktok.oauth import StaticToken

    limiter: Any = DynamoRateLimiter(args["table"]) if args["shared"] else LocalRateLimiter()
    client = TikTokClient(
        args["app_key"],
        args["app_secret"],
        api_base=args["api_base"],
        http=httpx.Client(timeout=5),
        limiter=limiter,
        tokens=StaticToken(args["token"]),
        retry=RetryPolicy(max_attempts=1),  # a 429 must show, not be retried away
        rate_per_second=args["rate"],
    )
    shop = ShopRef(id=args["shop_id"], cipher=args["cipher"])
    if args["shared"]:
        limiter.acquire(f"warm-up#{os.getpid()}", 1000.0)  # boto3 loaded, connection open
    client.get_warehouses(shop) if not args["shared"] else None
    ready.put(os.getpid())
    while start_at.value == 0.0:
        time.sleep(0.005)
    begin, end = start_at.value, start_at.value + args["duration"]
    time.sleep(max(0.0, begin - time.time()))
    ok = limited = 0
    while time.time() < end:
        try:
            client.get_warehouses(shop)
            ok += 1
        except e.RateLimited:
            limited += 1
    results.put({"ok": ok, "limited": limited})
