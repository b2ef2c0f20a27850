"""`make demo`: the connector's whole journey on the local cloud, shown step by step.

Starts the sandbox TikTok Shop, the sandbox stores (Ecwid, Shopify) and the local cloud
(template.yaml in moto's server) wired together, then walks a merchant's journey through the
public paths (the install link, the merchant API, the sandboxes' webhooks, tasks) with a store of
the platform ``--store`` names (``ecwid``, the default, or ``shopify``):

1. a merchant with a generated store catalog (a few hundred products, some with deliberate
   flaws) opens the install link and approves on both sides; the connection is checked and a
   foreign token is refused;
2. the install pulls and pushes the catalog (progress bar); a store that keeps no package
   dimensions (Shopify) gets the merchant's default package size; a table shows every
   product's status with its reason;
3. the merchant fills the categories' required attributes once and the products held for them
   sync and go live; one flawed product is fixed in the store and re-synced;
4. buyers order on the sandbox TikTok; the orders appear in the store; one is shipped in the
   store and its tracking reaches TikTok; one is cancelled in the store and TikTok cancels it;
   one is blocked (a TikTok SKU no store product is linked to), linked by the merchant and
   retried; a stock change in the store reaches TikTok;
5. an operator canary crosses the queue, the worker, the state machine and the table;
6. a report: what was synced, relayed, blocked and why, and the latencies seen.

Exits 0 when every step worked, non-zero with the step and the reason otherwise.
``--keep`` leaves everything running afterwards and prints the URLs to explore.

The journey is one (``journey``); what differs between platforms is a few store-side steps, one
driver per platform (``store``, ``ecwid``, ``shopify``).
"""

from __future__ import annotations

from local.demo.listing import hand_made_listing

__all__ = ["hand_made_listing"]
