"""A sandbox Ecwid store for tests and the local cloud (see docs/ecwid.md).

    sandbox = EcwidSandbox("client-id", "client-secret", webhook_url=..., time_scale=0.001).start()
    ECWID_API_BASE=sandbox.url  ECWID_OAUTH_BASE=sandbox.oauth_url

Run it alone with ``python -m local.sandbox_ecwid`` (prints the URLs and a token).
"""

from __future__ import annotations

from local.sandbox_ecwid.catalog import FLAWS, Catalog, GeneratedProduct, generate_catalog
from local.sandbox_ecwid.model import SeededProduct
from local.sandbox_ecwid.server import EcwidSandbox, Fault

__all__ = [
    "FLAWS",
    "Catalog",
    "EcwidSandbox",
    "Fault",
    "GeneratedProduct",
    "SeededProduct",
    "generate_catalog",
]
