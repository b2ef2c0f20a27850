"""Catalog sync, the pure core: pre-validation, transform to a TikTok listing, image fixing.

Nothing here talks to AWS or HTTP. :mod:`.validate` says what stops a store product from being
listed (in words a merchant can act on), :mod:`.transform` builds the TikTok create body, and
:mod:`.images` pads and resizes images (Pillow, loaded only when called).
"""

from __future__ import annotations
