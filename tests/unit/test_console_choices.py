"""The console's newer choices, as pure logic: the settings form's carrier mapping and identifier
fields (read back, refused beside the field), a product's own low-stock threshold in the stock
plan, the store field that feeds a SKU's identifier code, and the two-minute re-authorization
link (its own kind: never a session, never a sign-in code)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from connector.catalog import rules as r
from connector.catalog.stock.levels import plan_stock, threshold_action, threshold_at
from connector.catalog.transform import to_product_input
from connector.catalog.validate import blocking, validate
from connector.console import forms, session
from connector.links import SkuLink
from connector.settings import ConnectionSettings, StockSettings
from connector.stores.protocol import Stock
from tests.unit.catalog.builders import leaf, listing_for, product, settings, uris_for, variant

KEY = "k" * 32
UPC = "036000291452"  # a valid UPC-12 (GS1 check digit)


def _field(sections: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return next(f for s in sections for f in s["fields"] if f["key"] == key)


def _save(submitted: dict[str, Any]) -> tuple[ConnectionSettings | None, dict[str, str]]:
    """What the console's save does: the form's changes, then the settings model's own checks."""
    changes, errors = forms.settings_changes(submitted)
    if errors:
        return None, errors
    try:
        return ConnectionSettings().patched(changes), {}
    except ValidationError as exc:
        return None, forms.field_errors(exc)


# ------------------------------------------------------------------------------ settings form
def test_carrier_mapping_is_one_line_per_carrier_and_reads_back_the_same() -> None:
    saved, errors = _save({"carriers.by_carrier": "UPS = 7117\n\n  DHL Express=7118  ",
                           "carriers.default_provider_id": "7000"})
    assert errors == {} and saved is not None
    assert saved.carriers.by_carrier == {"ups": "7117", "dhl express": "7118"}
    assert saved.carriers.provider_for("DHL Express") == "7118" and saved.carriers.provider_for("FedEx") == "7000"
    shown = _field(forms.settings_form(saved, {}), "carriers.by_carrier")
    assert shown["kind"] == "pairs" and shown["value"] == "dhl express = 7118\nups = 7117"
    again, errors = _save({"carriers.by_carrier": shown["value"]})
    assert errors == {} and again is not None and again.carriers.by_carrier == saved.carriers.by_carrier


@pytest.mark.parametrize(("text", "words"), [
    ("UPS 7117", "line 1: write it as"),
    ("UPS = 7117\n= 7118", "line 2: write it as"),
    ("UPS = 71 17", "no spaces"),
    ("UPS = 1\nups = 2", "mapped twice"),
])
def test_a_wrong_carrier_line_is_refused_beside_the_field_naming_the_line(text: str, words: str) -> None:
    saved, errors = _save({"carriers.by_carrier": text, "stock.reserve_fixed": "2"})
    assert saved is None and words in errors["carriers.by_carrier"] and set(errors) == {"carriers.by_carrier"}


def test_the_location_to_warehouse_map_is_a_form_field_in_its_own_words() -> None:
    saved, errors = _save({"stock.warehouses": "gid-loc-1 = WH-EAST\n loc-2=WH-WEST "})
    assert errors == {} and saved is not None
    assert dict(saved.stock.warehouses) == {"gid-loc-1": "WH-EAST", "loc-2": "WH-WEST"}
    shown = _field(forms.settings_form(saved, {}), "stock.warehouses")
    assert shown["kind"] == "pairs" and shown["value"] == "gid-loc-1 = WH-EAST\nloc-2 = WH-WEST"
    assert shown["label"].startswith("Store locations to TikTok warehouses")
    # Its mistakes are told in its own words, beside it.
    _, errors = _save({"stock.warehouses": "loc-1 WH-EAST"})
    assert errors == {"stock.warehouses": "line 1: write it as 'store location id = TikTok warehouse id'"}
    _, errors = _save({"stock.warehouses": "loc-1 = WH-EAST\nloc-2 = WH-EAST"})
    assert set(errors) == {"stock.warehouses"} and "one location only" in errors["stock.warehouses"]
    # A connection that keeps one stock figure (no store locations) is not offered the field.
    hidden = forms.settings_form(ConnectionSettings(), {}, hidden={"stock.warehouses"})
    assert all(f["key"] != "stock.warehouses" for s in hidden for f in s["fields"])


def test_identifier_source_and_priority_are_form_fields_with_their_checks() -> None:
    sections = forms.settings_form(ConnectionSettings(), {})
    source = _field(sections, "catalog.identifier_source")
    assert source["kind"] == "select" and source["choices"] == ["barcode", "sku", "none"]
    priority = _field(sections, "catalog.identifier_priority")
    assert priority["kind"] == "list" and priority["value"] == "GTIN, UPC, EAN, ISBN"
    saved, errors = _save({"catalog.identifier_source": "sku", "catalog.identifier_priority": "upc, ean"})
    assert errors == {} and saved is not None
    assert (saved.catalog.identifier_source, saved.catalog.identifier_priority) == ("sku", ("UPC", "EAN"))
    for bad in ("UPC, barcode", "UPC, UPC", ""):
        refused, errors = _save({"catalog.identifier_priority": bad})
        assert refused is None and set(errors) == {"catalog.identifier_priority"}, (bad, errors)
    refused, errors = _save({"catalog.identifier_source": "gtin"})
    assert refused is None and set(errors) == {"catalog.identifier_source"}


def test_a_list_or_map_field_sent_as_something_else_is_refused() -> None:
    _changes, errors = forms.settings_changes({"carriers.by_carrier": True, "catalog.identifier_priority": False})
    assert set(errors) == {"carriers.by_carrier", "catalog.identifier_priority"}


# ------------------------------------------------------------------------------ identifier source
def test_the_identifier_code_comes_from_the_store_field_chosen() -> None:
    p = product([variant("v1", sku=UPC, gtin="4006381333931")])  # the SKU holds a UPC, the barcode an EAN-13
    listing = listing_for(leaf())

    def code(source: str) -> Any:
        body = to_product_input(p, listing, settings(identifier_source=source), uris_for(p))
        return body.skus[0].identifier_code

    assert (code("barcode").type, code("barcode").code) == ("EAN", "4006381333931")
    assert (code("sku").type, code("sku").code) == ("UPC", UPC)
    assert code("none") is None


def test_a_sku_that_is_not_a_barcode_blocks_only_when_the_sku_feeds_the_code() -> None:
    p = product([variant("v1", sku="TSHIRT-RED")])
    listing = listing_for(leaf())
    assert not [x for x in blocking(validate(p, listing, settings())) if x.code == "bad_identifier"]
    (problem,) = [x for x in blocking(validate(p, listing, settings(identifier_source="sku")))
                  if x.code == "bad_identifier"]
    assert problem.message.startswith("SKU 'TSHIRT-RED'")
    assert r.identifier_value(p.variants[0], "none") is None


# ------------------------------------------------------------------------------ own threshold
def _link(key: str) -> SkuLink:
    return SkuLink(connection_id="c1", store_product_id="p1", variant_key=key, stock_key=key, shop_id="s1",
                   tiktok_product_id="tt-p1", tiktok_sku_id=f"sku-{key}")


def test_a_product_s_own_threshold_wins_over_the_connection_s() -> None:
    p = product([variant("v1", stock=Stock.counted(4))])
    off = StockSettings()
    assert threshold_at(off, {}) is None and threshold_action(off, {}) is None
    assert not plan_stock(p, [_link("v1")], {}, off, {}).deactivate
    # the connection has no threshold: the product's own turns the rule on for it alone
    assert threshold_at(off, {"stock_threshold_at": "5"}) == 5
    assert plan_stock(p, [_link("v1")], {}, off, {"stock_threshold_at": "5"}).deactivate
    # the connection's is 10: the product's own 3 keeps 4 units listed
    ten = StockSettings(threshold=10)
    assert plan_stock(p, [_link("v1")], {}, ten, {}).deactivate
    kept = plan_stock(p, [_link("v1")], {}, ten, {"stock_threshold_at": "3"})
    assert not kept.deactivate and kept.quantities() == {"sku-v1": 4}
    zeroed = plan_stock(p, [_link("v1")], {}, ten, {"stock_threshold": "zero_sku"})
    assert not zeroed.deactivate and zeroed.quantities() == {"sku-v1": 0}
    assert threshold_at(ten, {"stock_threshold_at": "x"}) == 10  # not a number: the connection's


# ------------------------------------------------------------------------------ re-authorization link
def test_a_reauthorization_link_is_its_own_kind_and_lasts_two_minutes() -> None:
    link = session.issue(KEY, "ra", "c-1", 1000, session.REAUTHORIZE_TTL_S, version=3)
    assert session.claim(KEY, "ra", link, 1000 + session.REAUTHORIZE_TTL_S) == ("c-1", 3)
    assert session.claim(KEY, "ra", link, 1001 + session.REAUTHORIZE_TTL_S) is None
    assert session.claim(KEY, "cs", link, 1000) is None and session.claim(KEY, "sc", link, 1000) is None
    console_session = session.issue(KEY, "cs", "c-1", 1000, version=3)
    assert session.claim(KEY, "ra", console_session.replace("cs.", "ra.", 1), 1000) is None
    assert session.claim("another-key-" + KEY, "ra", link, 1000) is None


# ------------------------------------------------------------------------------ bulk selection
@pytest.mark.parametrize("body", [{}, {"all": False}, {"all": True, "product_ids": ["1"]}, {"product_ids": []},
                                  {"product_ids": [" "]}, {"product_ids": ["1"] * 501},
                                  {"product_ids": ["1"], "page_token": "x"}, {"all": True, "x": 1}])
def test_a_bulk_selection_names_products_or_all(body: dict[str, Any]) -> None:
    from connector.api.bulk import ProductSelection

    with pytest.raises(ValidationError):
        ProductSelection.model_validate(body)


def test_good_bulk_selections() -> None:
    from connector.api.bulk import ProductSelection

    assert ProductSelection.model_validate({"all": True, "page_token": "abc"}).page_token == "abc"
    assert ProductSelection.model_validate({"product_ids": ["1", "2"]}).product_ids == ["1", "2"]
