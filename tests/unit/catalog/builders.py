"""Small builders for catalog tests, and the sandbox's rule context built in-process."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connector.catalog.settings import (
    AttributeValue,
    ListingContext,
    PackageDefaults,
    PriceRule,
    StockRule,
    SyncSettings,
)
from connector.stores.protocol import Dimensions, Stock, StoreImage, StoreOption, StoreProduct, StoreVariant
from local.sandbox_tiktok import catalog, rules
from local.sandbox_tiktok.state import REGION_CURRENCY, Image, Shop, Warehouse

WAREHOUSE = "7300000000000000001"
HOSTED_PREFIX = "https://p16-oec-sandbox.example/img/"
UPC = "036000291452"  # valid check digit
UPC_2 = "012345678905"
EAN_13 = "4006381333931"
EAN_8 = "96385074"
ISBN_13 = "9780306406157"
GTIN_14 = "10012345678902"
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def variant(key: str = "v1", **overrides: Any) -> StoreVariant:
    fields: dict[str, Any] = {
        "key": key,
        "product_id": "p1",
        "stock_key": key,
        "sku": f"SKU-{key}",
        "price": Decimal("19.90"),
        "stock": Stock.counted(5),
        "weight": Decimal("0.4"),
        "dimensions": Dimensions(length=Decimal("20"), width=Decimal("15"), height=Decimal("3")),
    }
    fields.update(overrides)
    return StoreVariant(**fields)


def product(variants: Iterable[StoreVariant] | None = None, **overrides: Any) -> StoreProduct:
    fields: dict[str, Any] = {
        "ext_id": "p1",
        "title": "Organic cotton crew neck t-shirt",
        "description_html": "<p>Soft and <b>breathable</b>.</p>",
        "images": (StoreImage(url="https://store.example/1.jpg", is_main=True, width=1000, height=1000),),
        "updated_at": NOW,
        "variants": tuple(variants) if variants is not None else (variant(),),
    }
    fields.update(overrides)
    return StoreProduct(**fields)


def sized(values: Mapping[str, Mapping[str, str]], **overrides: Any) -> StoreProduct:
    """A multi-variant product: variant key -> option values."""
    variants = [variant(key, option_values=dict(opts)) for key, opts in values.items()]
    names: dict[str, list[str]] = {}
    for opts in values.values():
        for name, value in opts.items():
            names.setdefault(name, [])
            if value not in names[name]:
                names[name].append(value)
    options = tuple(StoreOption(name=n, values=tuple(v)) for n, v in names.items())
    return product(variants, options=options, **overrides)


def settings(region: str = "US", **overrides: Any) -> SyncSettings:
    fields: dict[str, Any] = {
        "region": region,
        "currency": REGION_CURRENCY.get(region, "USD"),
        "warehouse_id": WAREHOUSE,
        "package": PackageDefaults(),
        "price": PriceRule(),
        "stock": StockRule(),
    }
    fields.update(overrides)
    return SyncSettings(**fields)


def leaf(kind: str = "general", *, invite_only: bool = False) -> catalog.Node:
    return next(n for n in catalog.NODES if catalog.is_leaf(n) and n.kind == kind and n.invite_only == invite_only)


def listing_for(node: catalog.Node, region: str = "US", *, fill: bool = True) -> ListingContext:
    """A complete mapping to a sandbox leaf: required attributes and certifications filled."""
    version = "v2" if region == "US" else "v1"
    required = {a.id: a.name for a in catalog.attributes(node) if a.type == "PRODUCT_PROPERTY" and a.required}
    values: dict[str, tuple[AttributeValue, ...]] = {}
    if fill:
        for attr in catalog.attributes(node):
            if attr.id in required:
                values[attr.id] = (AttributeValue(id=attr.values[0][0]) if attr.values else AttributeValue(name="Any"),)
    cert = catalog.CERTIFICATIONS.get(node.kind)
    required_certs = {cert["id"]: cert["name"]} if cert and cert["is_required"] else {}
    certs = ({"id": cert["id"], "images": [{"uri": "tos-cert"}]},) if cert and cert["is_required"] and fill else ()
    return ListingContext(
        category_id=node.id(version),
        category_version=version,  # type: ignore[arg-type]
        required_attributes=required,
        attribute_values=values,
        required_certifications=required_certs,
        certifications=certs,
    )


def uris_for(p: StoreProduct) -> dict[str, str]:
    """What uploading every image of ``p`` would give: store url -> TikTok uri."""
    urls = [i.url for i in p.images] + [v.image_url for v in p.variants if v.image_url]
    return {url: f"tos-maliva-i-{n}" for n, url in enumerate(dict.fromkeys(urls))}


def hosted_for(urls: Iterable[str]) -> dict[str, str]:
    return {url: f"{HOSTED_PREFIX}d{n}.jpg" for n, url in enumerate(dict.fromkeys(urls))}


def sandbox_problems(body: dict[str, Any], region: str, uris: Iterable[str]) -> list[tuple[int, str]]:
    """The sandbox's own rule check, in-process, for a shop of ``region`` whose uploads are
    ``uris`` (800 x 800, as :mod:`connector.catalog.images` makes them)."""
    shop = Shop(
        id="shop1",
        name="Test shop",
        region=region,
        cipher="cipher",
        seller_id="seller1",
        code="CODE",
        warehouses=[Warehouse(id=WAREHOUSE, name="Main", is_default=True)],
    )
    images = {uri: Image(uri, 800, 800, "MAIN_IMAGE", b"", "image/jpeg") for uri in uris}
    ctx = rules.Context(
        shop=shop,
        images=images,
        image_url_prefix=HOSTED_PREFIX,
        brands=catalog.default_brands(),
        products={},
    )
    return rules.check_product(body, ctx)
