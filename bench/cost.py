"""Prices a run's counted usage (``LocalCloud.usage()``) with the list prices of
``bench/prices.json`` (one table, with its date and sources). Everything is Decimal.

The figures are what the counted requests would cost on AWS; fixed monthly costs (the KMS
key, the secret, the dashboard, alarms, log storage) are not per-order and are left out, and
so are the queue pollers' empty receives (``ReceiveMessage(empty)``): on AWS those are a fixed
cost per queue (Lambda's pollers wait up to 20 s per receive) whatever the traffic, and the
local pollers, which wait 1 s, would otherwise multiply them by the run's length.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from local.cloud.meter import EMPTY_RECEIVE

PRICES_PATH = Path(__file__).with_name("prices.json")


def load_prices(path: Path = PRICES_PATH) -> dict[str, Any]:
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def _unit(prices: dict[str, Any], name: str) -> Decimal:
    entry = prices["prices_usd"][name]
    return Decimal(entry["usd"]) / Decimal(entry["per"])


def price(usage: dict[str, Any], prices: dict[str, Any] | None = None) -> dict[str, Decimal]:
    """Dollars per billed dimension for this usage, and the total."""
    prices = prices or load_prices()
    by_service = usage.get("requests_by_service", {})
    lines = {
        "lambda_requests": Decimal(usage.get("lambda_invocations", 0)) * _unit(prices, "lambda_request"),
        "lambda_compute": Decimal(str(usage.get("lambda_gb_seconds", 0))) * _unit(prices, "lambda_gb_second_arm64"),
        "sqs": Decimal(by_service.get("sqs", 0) - usage.get("requests_by_action", {}).get(f"sqs:{EMPTY_RECEIVE}", 0))
        * _unit(prices, "sqs_request"),
        "dynamodb_writes": Decimal(str(usage.get("dynamodb_write_units", 0))) * _unit(prices, "dynamodb_write_unit"),
        "dynamodb_reads": Decimal(str(usage.get("dynamodb_read_units", 0))) * _unit(prices, "dynamodb_read_unit"),
        "stepfunctions": Decimal(usage.get("state_transitions", 0)) * _unit(prices, "stepfunctions_transition"),
        "http_api": Decimal(usage.get("http_api_requests", 0)) * _unit(prices, "http_api_request"),
        "kms": Decimal(by_service.get("kms", 0)) * _unit(prices, "kms_request"),
        "secretsmanager": Decimal(by_service.get("secretsmanager", 0)) * _unit(prices, "secretsmanager_request"),
        "ses": Decimal(usage.get("requests_by_action", {}).get("email:SendEmail", 0)
                       + usage.get("requests_by_action", {}).get("ses:SendEmail", 0)) * _unit(prices, "ses_email"),
    }
    lines["total"] = sum(lines.values(), Decimal(0))
    return lines


def per(usage: dict[str, Any], units: int, scale: int, prices: dict[str, Any] | None = None) -> dict[str, str]:
    """Dollars per ``scale`` units of work (e.g. per 1,000 orders) when ``units`` were done."""
    if units <= 0:
        raise ValueError("no work was counted")
    factor = Decimal(scale) / Decimal(units)
    return {name: f"{(value * factor).quantize(Decimal('0.000001'))}" for name, value in price(usage, prices).items()}
