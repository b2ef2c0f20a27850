"""Stock sync: a store stock change on TikTok within seconds, never more than the store holds.

- :mod:`.levels`: the quantities TikTok receives (pure: reserve, pending units, shared stock);
- :mod:`.requests`: the stock queue's message and how other features ask for a sync;
- :mod:`.state`: the per-product record of what TikTok last accepted, the lease and the write
  versions (fenced writes);
- :mod:`.lease`: the lease renewed while a sync works;
- :mod:`.hedge`: a second send when TikTok holds a sync's call;
- :mod:`.sync`: one product synced under its lease;
- :mod:`.worker`: the stock queue's consumer;
- :mod:`.events`: store and TikTok webhooks that touch stock;
- :mod:`.tasks`: the merchant's "update stock" / "update price" actions;
- :mod:`.reconcile`: the schedule that heals lost webhooks;
- :mod:`.check`: TikTok's own figures read back and compared (part of each reconciliation);
- :mod:`.recheck`: one product's figures read back after a call whose answer never came;
- :mod:`.warehouses`: store locations mapped to TikTok warehouses, each one's own figure.
"""
