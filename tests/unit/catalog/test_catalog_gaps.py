"""The two gaps of the catalog core closed for the push: options sent as the category's sales
attributes (TikTok ids, value ids where TikTok lists the value), and the description measured as
it is sent (after its images are re-hosted), not before."""

from __future__ import annotations

from dataclasses import replace

import pytest

from connector.catalog import rules as r
from connector.catalog.settings import SalesAttributeSpec
from connector.catalog.transform import ListingRejected, to_product_input
from connector.catalog.validate import blocking, validate

from .builders import hosted_for, leaf, listing_for, product, sandbox_problems, settings, sized, uris_for

COLOR = SalesAttributeSpec(id="100000", values={"black": "1001", "white": "1002"})


def test_known_options_go_by_tiktok_attribute_and_value_ids() -> None:
    p = sized({"a": {"Color": "Black", "Fit": "Slim"}, "b": {"Color": "Teal", "Fit": "Slim"}})
    listing = replace(listing_for(leaf("apparel")), sales_attributes={"color": COLOR})
    body = to_product_input(p, listing, settings(), uris_for(p))
    by_sku = {s.external_sku_id: s.sales_attributes for s in body.skus}
    first, fit = by_sku["a"] or []
    assert (first.id, first.name, first.value_id, first.value_name) == ("100000", None, "1001", None)
    teal = (by_sku["b"] or [])[0]
    assert (teal.id, teal.value_id, teal.value_name) == ("100000", None, "Teal")  # a value TikTok does not list
    assert (fit.id, fit.name, fit.value_name) == (None, "Fit", "Slim")  # unknown option: custom name
    wire = body.wire()
    assert sandbox_problems(wire, "US", uris_for(p).values()) == []


def test_without_the_category_s_attributes_options_stay_custom_names() -> None:
    p = sized({"a": {"Color": "Black"}, "b": {"Color": "White"}})
    body = to_product_input(p, listing_for(leaf("apparel")), settings(), uris_for(p))
    assert all(s.sales_attributes and s.sales_attributes[0].name == "Color" and s.sales_attributes[0].id is None
               for s in body.skus)


def test_description_is_measured_with_its_hosted_image_urls() -> None:
    images = [f"https://store.example/d{n}.jpg" for n in range(30)]
    text = "x" * (r.MAX_DESCRIPTION_CHARS - 2100)  # fits with short URLs (about 60 a tag), not long ones
    html = "<p>" + text + "</p>" + "".join(f'<p><img src="{u}"></p>' for u in images)
    p = product(description_html=html)
    listing = listing_for(leaf())
    long_hosted = {u: "https://p16-oec-sandbox.example/img/" + "h" * 120 + f"{n}.jpg" for n, u in enumerate(images)}
    # Measured before re-hosting (store URLs stand in) it fits; re-hosted with long URLs it does not.
    assert not [x for x in blocking(validate(p, listing, settings())) if x.code == "description_length"]
    assert [x.code for x in blocking(validate(p, replace(listing, description_images=long_hosted), settings()))] \
        == ["description_length"]
    with pytest.raises(ListingRejected) as rejected:
        to_product_input(p, listing, settings(), uris_for(p), long_hosted)
    assert [x.code for x in rejected.value.problems] == ["description_length"]
    body = to_product_input(p, listing, settings(), uris_for(p), hosted_for(images))
    assert len(body.description) <= r.MAX_DESCRIPTION_CHARS
