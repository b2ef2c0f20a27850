from __future__ import annotations

from decimal import Decimal

from bench.cost import load_prices, per, price


def test_every_price_has_a_source_and_the_table_a_date() -> None:
    prices = load_prices()
    assert prices["checked"] and prices["region"]
    assert all(entry["source"].startswith("https://") and Decimal(entry["usd"]) > 0
               for entry in prices["prices_usd"].values())


def test_a_known_usage_prices_exactly() -> None:
    usage = {"lambda_invocations": 1_000_000, "lambda_gb_seconds": 1000, "requests_by_service": {"sqs": 2_000_000},
             "dynamodb_write_units": 1_000_000, "dynamodb_read_units": 2_000_000.0, "state_transitions": 4000,
             "http_api_requests": 1_000_000}
    lines = price(usage)
    assert lines["lambda_requests"] == Decimal("0.20")
    assert lines["sqs"] == Decimal("0.80")
    assert lines["dynamodb_writes"] == Decimal("0.625")
    assert lines["dynamodb_reads"] == Decimal("0.250")
    assert lines["stepfunctions"] == Decimal("0.1")
    assert lines["http_api"] == Decimal("1.00")
    assert lines["total"] == sum(v for k, v in lines.items() if k != "total")


def test_per_scales_to_the_unit_of_work() -> None:
    usage = {"lambda_invocations": 10, "requests_by_service": {}}
    assert per(usage, units=10, scale=1000)["lambda_requests"] == "0.000200"


def test_the_pollers_empty_receives_are_not_priced_per_unit_of_work() -> None:
    usage = {"requests_by_service": {"sqs": 1_000_000},
             "requests_by_action": {"sqs:SendMessage": 250_000, "sqs:ReceiveMessage": 250_000,
                                    "sqs:ReceiveMessage(empty)": 500_000}}
    assert price(usage)["sqs"] == Decimal("0.20")
