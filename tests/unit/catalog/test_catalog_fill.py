"""Attribute fill precedence (category bulk fill < store attributes of the same name < the
product's own fill), status mapping and page tokens: the pure parts of catalog sync."""

from __future__ import annotations

import pytest

from connector.catalog.mapping import listing_fill
from connector.catalog.pull import content_hash
from connector.catalog.records import (
    AttributeFill,
    CategoryMapping,
    ListingFill,
    ProductRecord,
    decode_page_token,
    encode_page_token,
)
from connector.catalog.status import TIKTOK_STATUS

from .builders import product

MAPPING = CategoryMapping(
    connection_id="c1", store_category_id="7", tiktok_category_id="1000039",
    required_attributes={"101700": "Material"},
    attributes={"101700": {"name": "Material", "values": {"ceramic": "3302", "glass": "3303"}},
                "101705": {"name": "Dishwasher safe", "values": {"yes": "3401"}},
                "102000": {"name": "Finish", "values": {}}},
    fill=ListingFill(attribute_values={"101705": [AttributeFill(id="3401")]}, brand_id="b-cat"))


def record(fill: ListingFill | None = None) -> ProductRecord:
    return ProductRecord(connection_id="c1", store_product_id="p1", fill=fill)


def test_store_attributes_fill_what_the_category_leaves_open_by_name() -> None:
    got = listing_fill(MAPPING, record(), product(attributes={"material": "Ceramic", "Finish": " Matte ",
                                                              "Dishwasher safe": "No", "Brand": "Acme"}))
    assert got.attribute_values["101700"] == [AttributeFill(id="3302")]  # value id when TikTok lists it
    assert got.attribute_values["102000"] == [AttributeFill(name="Matte")]  # else a custom value
    assert got.attribute_values["101705"] == [AttributeFill(id="3401")]  # the category's bulk fill wins
    assert got.brand_id == "b-cat"


def test_the_product_s_own_fill_wins() -> None:
    own = ListingFill(attribute_values={"101700": [AttributeFill(id="3303")]}, brand_id="b-own",
                      certifications=[{"id": "7000002"}])
    got = listing_fill(MAPPING, record(own), product(attributes={"Material": "Ceramic"}))
    assert got.attribute_values["101700"] == [AttributeFill(id="3303")]
    assert got.brand_id == "b-own" and got.certifications == [{"id": "7000002"}]
    assert listing_fill(None, record(), product()).attribute_values == {}


def test_every_tiktok_status_maps_to_one_of_ours() -> None:
    assert set(TIKTOK_STATUS) == {"ACTIVATE", "PENDING", "DRAFT", "FAILED", "SELLER_DEACTIVATED",
                                  "PLATFORM_DEACTIVATED", "FREEZE", "DELETED", "SCHEDULED"}
    assert TIKTOK_STATUS["ACTIVATE"] == "active" and TIKTOK_STATUS["FAILED"] == "review_failed"


def test_page_tokens_round_trip_and_refuse_foreign_text() -> None:
    assert decode_page_token(encode_page_token("PRODUCT#123")) == "PRODUCT#123"
    for bad in ("not base64 at all!", encode_page_token("ORDER#1"), "%%%"):
        with pytest.raises(ValueError):
            decode_page_token(bad)


def test_content_hash_is_stable_and_blind_to_stock() -> None:
    from connector.stores.protocol import Stock

    a = product()
    b = a.model_copy(update={"variants": tuple(v.model_copy(update={"stock": Stock.counted(99)})
                                               for v in a.variants)})
    c = a.model_copy(update={"title": a.title + " v2"})
    assert content_hash(a) == content_hash(b) != content_hash(c)
