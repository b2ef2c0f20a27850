"""The Ecwid adapter (see docs/ecwid.md).

- :class:`EcwidStore`: the :class:`~connector.stores.protocol.StorePlatform` of one store.
- :class:`EcwidOAuth`: authorize URL and token exchange for the app.
- :class:`EcwidWebhooks`: signature check and typed parsing of webhooks.

Configuration: ``ECWID_API_BASE`` and ``ECWID_OAUTH_BASE`` (default: Ecwid itself).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connector.stores.ecwid.oauth import EcwidOAuth, new_state, same_state
    from connector.stores.ecwid.store import EcwidStore
    from connector.stores.ecwid.webhooks import EcwidWebhooks, signature

# Imported on first use: a webhook receiver needs only ``webhooks`` (no httpx at cold start).
_HOME = {
    "EcwidOAuth": "oauth",
    "new_state": "oauth",
    "same_state": "oauth",
    "EcwidStore": "store",
    "EcwidWebhooks": "webhooks",
    "signature": "webhooks",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


__all__ = ["EcwidOAuth", "EcwidStore", "EcwidWebhooks", "new_state", "same_state", "signature"]
