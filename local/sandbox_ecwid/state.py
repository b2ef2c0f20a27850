"""The sandbox Ecwid's data and rules: stores, tokens, the catalog, orders and stock, composed
from one module per part (accounts, products, search, orders over a shared core).

Behaviour modelled on Ecwid's documents (facts and sources in docs/ecwid.md; marked "assumed" where they are silent):

- A combination keeps only the fields it sets; ``sku``, ``price``, ``weight`` and ``quantity``
  are omitted in the API when inherited. A combination without its own SKU sells from the
  product's stock; a stock write aimed at it lands on the product (assumed).
- ``quantity`` is absent when stock is unlimited.
- UPC and brand are attributes (types ``UPC`` and ``BRAND``) of the product's class; writes
  may name an attribute by ``id``, ``name`` or ``alias`` (``UPC`` / ``BRAND``).
- An API order decrements stock only if it is PAID, every item has a valid product (and
  combination) id, and there is a customer e-mail or id. Cancelling it restocks exactly what
  was taken. Stock never goes below zero (assumed).
- Every change fires its webhook (products changed by orders and by API writes included),
  for stores where the app is installed and has the matching read scope.
"""

from __future__ import annotations

from local.sandbox_ecwid.accounts import AccountState
from local.sandbox_ecwid.orders import OrderState
from local.sandbox_ecwid.search import ProductSearch


class SandboxState(AccountState, OrderState, ProductSearch):
    """Everything the sandbox Ecwid holds, with the rules of each part."""
