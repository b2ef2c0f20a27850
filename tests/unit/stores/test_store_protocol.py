"""The common model's own rules (platform-independent)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError as ModelError

from connector.errors import ConnectorError
from connector.stores import (
    AuthError,
    RateLimited,
    ServerError,
    Stock,
    StoreError,
    StoreGrant,
    StoreProduct,
    StoreVariant,
)


def _variant(**overrides: object) -> StoreVariant:
    values: dict[str, object] = {
        "key": "1",
        "product_id": "1",
        "stock_key": "1",
        "sku": "A",
        "price": Decimal("1.00"),
        "stock": Stock.counted(3),
    }
    values.update(overrides)
    return StoreVariant.model_validate(values)


def test_sellable_quantity() -> None:
    assert Stock.counted(5).sellable(when_unlimited=100) == 5
    assert Stock.counted(-2).sellable(when_unlimited=100) == 0
    assert Stock.unlimited_stock().sellable(when_unlimited=100) == 100
    assert Stock(tracked=False).sellable(when_unlimited=7) == 7


def test_a_product_has_at_least_one_variant_and_an_aware_time() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    product = StoreProduct(ext_id="1", title="t", updated_at=now, variants=(_variant(),))
    assert product.variant("1") is not None and product.variant("2") is None
    with pytest.raises(ModelError):
        StoreProduct(ext_id="1", title="t", updated_at=now, variants=())
    with pytest.raises(ModelError):
        StoreProduct(ext_id="1", title="t", updated_at=datetime(2025, 1, 1), variants=(_variant(),))


def test_money_is_decimal_whatever_the_input() -> None:
    for raw in ("19.99", 19.99, Decimal("19.99")):
        price = _variant(price=raw).price
        assert isinstance(price, Decimal) and price == Decimal("19.99")


def test_models_are_frozen() -> None:
    with pytest.raises(ModelError):
        _variant().sku = "B"  # type: ignore[misc]


def test_inherited_stock_is_visible() -> None:
    assert _variant(key="1:2", stock_key="1").inherits_stock
    assert not _variant(key="1:2", stock_key="1:2").inherits_stock


def test_store_errors_are_connector_errors_with_retry_hints() -> None:
    assert issubclass(StoreError, ConnectorError)
    assert RateLimited("x", retry_after=3).retryable and ServerError("x").retryable
    assert not AuthError("x").retryable
    assert RateLimited("x", retry_after=3).status == 503


def test_tokens_are_hidden_in_grants() -> None:
    grant = StoreGrant(platform="ecwid", store_id="1", token="secret_x", scopes=("read_catalog",))  # type: ignore[arg-type]
    assert "secret_x" not in repr(grant) and "secret_x" not in str(grant.model_dump())
    assert grant.credentials().token.get_secret_value() == "secret_x"
