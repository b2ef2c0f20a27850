"""The order relay: every paid TikTok order in the store exactly once, then its fulfilment,
status, cancellation, refund and address changes carried between the two.

- :mod:`connector.orders.records`: the ``ORDER#<tiktok_order_id>`` item and its repository (the
  contract the merchant API's order listing / overview and the stock sync read).
- the relay itself (intake, claim, create, record) and fulfilment / cancellation flows live in
  the sibling modules; handlers import them lazily.
"""
