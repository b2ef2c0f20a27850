from __future__ import annotations

from decimal import Decimal

import pytest

from connector.catalog.settings import ListingContext, PackageDefaults, PriceRule, StockRule
from connector.catalog.validate import Problem, blocking, validate
from connector.stores.protocol import Stock, StoreImage, StoreProduct

from .builders import EAN_13, UPC, UPC_2, leaf, listing_for, product, settings, sized, variant

GENERAL = listing_for(leaf("general"))


def codes(p: StoreProduct, listing: ListingContext = GENERAL, region: str = "US", **kw: object) -> list[str]:
    return [problem.code for problem in validate(p, listing, settings(region, **kw))]


def only(p: StoreProduct, code: str, **kw: object) -> Problem:
    found = [problem for problem in validate(p, kw.pop("listing", GENERAL), settings(**kw)) if problem.code == code]  # type: ignore[arg-type]
    assert len(found) == 1, found
    return found[0]


def test_a_good_product_has_no_problem() -> None:
    assert codes(product()) == []


def test_no_category() -> None:
    problem = only(product(), "no_category", listing=ListingContext(category_id=None))
    assert problem.blocking and "TikTok category" in problem.message


def test_missing_required_attribute_and_certification() -> None:
    toys = listing_for(leaf("toys"), fill=False)
    assert codes(product(), toys) == ["missing_required_attribute", "missing_certification"]
    assert "'Age range'" in only(product(), "missing_required_attribute", listing=toys).message
    assert codes(product(), listing_for(leaf("toys"))) == []


def test_four_options_is_too_many_and_names_them() -> None:
    values = {
        f"v{n}": {"Color": c, "Size": s, "Material": "Cotton", "Style": "Slim"}
        for n, (c, s) in enumerate([("Red", "S"), ("Red", "M"), ("Blue", "S")])
    }
    problem = only(sized(values), "too_many_options")
    assert problem.message == (
        "Product has 4 options (Color, Size, Material, Style); TikTok allows at most 3. Merge or remove one."
    )


def test_single_variant_options_do_not_count() -> None:
    p = product([variant(option_values={"A": "1", "B": "2", "C": "3", "D": "4"})])
    assert codes(p) == []


def test_variants_must_differ_and_have_every_value() -> None:
    assert codes(sized({"a": {"Size": "S"}, "b": {"Size": "s "}})) == ["duplicate_variant"]
    assert codes(sized({"a": {"Size": "S", "Color": "Red"}, "b": {"Size": "M"}})) == ["missing_option_value"]
    assert codes(product([variant("a"), variant("b")])) == ["missing_option_value"]


def test_option_name_and_value_lengths() -> None:
    assert codes(sized({"a": {"A very long option name here": "S"}, "b": {"A very long option name here": "M"}})) == [
        "option_name_length"
    ]
    assert codes(sized({"a": {"Size": "x" * 51}, "b": {"Size": "M"}})) == ["option_value_length"]


def test_too_many_skus_depends_on_the_region() -> None:
    values = {f"v{n}": {"Number": str(n)} for n in range(101)}
    assert codes(sized(values), region="US") == []
    assert "too_many_skus" in codes(sized(values, title="A title long enough for Malaysia"), region="MY")


@pytest.mark.parametrize(
    ("region", "title", "code"),
    [
        ("US", "", "title_length"),
        ("US", "x" * 256, "title_length"),
        ("MY", "Short title", "title_length"),
        ("BR", "ab" * 150, None),
        ("US", "Great mug \U0001f600", "title_content"),
        ("US", "Sale!!!!!!!!! mug", "title_content"),
    ],
)
def test_title_rules(region: str, title: str, code: str | None) -> None:
    assert codes(product(title=title), region=region) == ([code] if code else [])


def test_description_length_and_language() -> None:
    assert codes(product(description_html="<p>" + "word " * 2100 + "</p>")) == ["description_length"]
    assert codes(product(description_html="<p>纯棉</p>")) == ["description_language"]
    # the title stands in for an empty description, so it must pass the same rule
    assert codes(product(title="纯棉 T-shirt", description_html="")) == ["description_language"]


def test_images_missing_unreadable_and_too_many() -> None:
    assert codes(product(images=())) == ["no_images"]
    one = product()
    broken = ListingContext(category_id=GENERAL.category_id, failed_images={one.images[0].url: "not an image"})
    assert codes(one, broken) == ["image_unreadable", "no_images"]
    many = product(images=tuple(StoreImage(url=f"https://s.example/{n}.jpg") for n in range(10)))
    problem = only(many, "too_many_images")
    assert not problem.blocking


def test_small_or_non_square_images_are_not_blocking() -> None:
    p = product(
        images=(
            StoreImage(url="https://s.example/a.jpg", width=1200, height=600),
            StoreImage(url="https://s.example/b.jpg", width=120, height=120),
        )
    )
    found = validate(p, GENERAL, settings())
    assert [x.code for x in found] == ["image_too_small"]
    assert blocking(found) == []


@pytest.mark.parametrize(
    ("gtin", "code"),
    [(UPC[:11], "bad_identifier"), (UPC[:11] + "9", "bad_identifier"), ("ABC", "bad_identifier"), (UPC, None)],
)
def test_identifier_format(gtin: str, code: str | None) -> None:
    assert codes(product([variant(gtin=gtin)])) == ([code] if code else [])


def test_eleven_digit_upc_message() -> None:
    assert "it has 11 digits" in only(product([variant(gtin="03600029145")]), "bad_identifier").message


def test_shared_identifier_is_a_notice() -> None:
    p = sized({"a": {"Size": "S"}, "b": {"Size": "M"}})
    p = p.model_copy(update={"variants": tuple(v.model_copy(update={"gtin": EAN_13}) for v in p.variants)})
    problem = only(p, "duplicate_identifier")
    assert not problem.blocking
    p2 = p.model_copy(update={"variants": (p.variants[0], p.variants[1].model_copy(update={"gtin": UPC_2}))})
    assert codes(p2) == []


def test_seller_sku_length_and_spaces() -> None:
    assert codes(product([variant(sku="x" * 51)])) == ["seller_sku_length"]
    assert codes(product([variant(sku="   ")])) == ["seller_sku_length"]
    assert codes(product([variant(sku="AB 12")])) == ["seller_sku_format"]
    assert codes(product([variant(sku=None)])) == []


def test_price_range_after_the_price_rule() -> None:
    assert codes(product([variant(price=Decimal("0"))])) == ["price_range"]
    assert codes(product([variant(price=Decimal("5"))]), price=PriceRule(fixed=Decimal("-5"))) == ["price_range"]
    assert codes(product([variant(price=Decimal("0.004"))])) == ["price_range"]


def test_stock_above_tiktok_maximum_is_a_notice() -> None:
    problem = only(product([variant(stock=Stock.counted(120_000))]), "stock_range")
    assert not problem.blocking
    assert codes(product([variant(stock=Stock.unlimited_stock())]), stock=StockRule(unlimited_quantity=200_000)) == [
        "stock_range"
    ]


def test_missing_weight_and_dimensions_unless_defaults() -> None:
    bare = product([variant(weight=None, dimensions=None)])
    assert codes(bare) == ["missing_weight", "missing_dimensions"]
    defaults = PackageDefaults(weight=Decimal("1"), length=Decimal(10), width=Decimal(10), height=Decimal(10))
    assert codes(bare, package=defaults) == []
    assert codes(product([variant(weight=Decimal("0"))])) == ["missing_weight"]
