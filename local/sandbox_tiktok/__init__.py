"""A sandbox TikTok Shop: a real HTTP server on 127.0.0.1 that signs, verifies, validates,
reviews, sells and sends webhooks the way TikTok Shop's Open API (202309) does.

See :class:`local.sandbox_tiktok.sandbox.TikTokSandbox` and docs/tiktok.md.
"""

from __future__ import annotations

from local.sandbox_tiktok.sandbox import TikTokSandbox

__all__ = ["TikTokSandbox"]
