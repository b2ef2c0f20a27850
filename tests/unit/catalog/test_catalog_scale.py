"""The catalog state machine at 10,000 products stays inside Step Functions' limits: what
travels between states is page tokens, not products (256 KB per state input/output, 25,000
events of history per Standard execution)."""

from __future__ import annotations

import json

from connector import keys
from connector.catalog import flow
from connector.catalog.records import decode_page_token, encode_page_token

STATE_PAYLOAD_LIMIT = 262_144
HISTORY_EVENTS_LIMIT = 25_000
EVENTS_PER_PAGE = 7  # iteration started/succeeded, task scheduled/started/succeeded, state entered/exited


def _plan(products: int) -> dict[str, object]:
    """The plan ``prepare`` returns for a catalog of this size (Ecwid ids are up to 10 digits)."""
    ids = [str(9_000_000_000 + n) for n in range(products)]
    pages = [{"token": None if i == 0 else encode_page_token(keys.product_sk(ids[i - 1]))}
             for i in range(0, len(ids), flow.PAGE_SIZE)]
    return {"pages": pages, "total": products}


def test_the_plan_of_10000_products_fits_a_state_payload_with_room_to_spare() -> None:
    task = {"kind": "catalog_sync", "task_id": "1795438726190-catalog-sync-0a1b2c3d", "connection_id": "c" * 32,
            "correlation_id": "x" * 64, "payload": {}}
    state = {**task, "plan": _plan(10_000)}
    size = len(json.dumps(state).encode())
    assert len(state["plan"]["pages"]) == 400  # type: ignore[index]
    assert size < STATE_PAYLOAD_LIMIT / 4, size


def test_the_history_of_10000_products_stays_under_the_execution_limit() -> None:
    pages = len(_plan(10_000)["pages"])  # type: ignore[arg-type]
    assert pages * EVENTS_PER_PAGE + 50 < HISTORY_EVENTS_LIMIT
    assert flow.PAGE_TOKENS_MAX * flow.PAGE_SIZE >= 10_000


def test_page_tokens_round_trip_and_stay_small() -> None:
    sk = keys.product_sk("9999999999")
    token = encode_page_token(sk)
    assert decode_page_token(token) == sk and len(token) < 40
