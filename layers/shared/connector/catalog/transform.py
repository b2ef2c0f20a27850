"""Transform: a store product to the TikTok create / edit body, after the price and stock rules.

Images are not uploaded here: the caller passes what its uploads gave, a mapping from store image
URL to TikTok image ``uri`` (main and SKU images) and, for the description, from store image URL
to the TikTok-hosted URL. Images missing from a mapping are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from connector.catalog import rules as r
from connector.catalog.description import listing_description
from connector.catalog.settings import ListingContext, SyncSettings
from connector.catalog.validate import Problem, blocking, validate
from connector.stores.protocol import StoreProduct, StoreVariant
from connector.tiktok.models import (
    AttributeValueInput,
    IdentifierCode,
    ImageRef,
    InventoryEntry,
    PackageDimensions,
    PackageWeight,
    Price,
    ProductAttributeInput,
    ProductInput,
    SalesAttributeInput,
    SkuInput,
)


class ListingRejected(ValueError):
    """The product cannot be listed; ``problems`` says why (all blocking)."""

    def __init__(self, product_id: str, problems: list[Problem]) -> None:
        super().__init__(f"product {product_id} cannot be listed: {', '.join(p.code for p in problems)}")
        self.product_id = product_id
        self.problems = problems


def main_image_urls(product: StoreProduct) -> list[str]:
    """Store image URLs in listing order: the main image first, then the others, de-duplicated."""
    ordered = sorted(product.images, key=lambda image: not image.is_main)
    return list(dict.fromkeys(image.url for image in ordered))


def to_product_input(
    product: StoreProduct,
    listing: ListingContext,
    settings: SyncSettings,
    image_uris: Mapping[str, str],
    description_images: Mapping[str, str] | None = None,
) -> ProductInput:
    """The TikTok body for ``product``; raises :class:`ListingRejected` on a blocking problem."""
    if description_images is not None and listing.description_images is None:
        listing = replace(listing, description_images=description_images)
    problems = blocking(validate(product, listing, settings))
    main = [image_uris[url] for url in main_image_urls(product) if url in image_uris][: r.MAX_MAIN_IMAGES]
    if not problems and not main:
        problems = [Problem("no_images", "None of the product's images was uploaded to TikTok. Try again.")]
    package = r.package(product, settings)
    if problems or package is None or listing.category_id is None:
        raise ListingRejected(product.ext_id, problems)

    hosted = description_images or {}
    description = listing_description(product.description_html, product.title, hosted.get)
    body = ProductInput(
        title=r.clean_text(product.title),
        description=description.html,
        category_id=listing.category_id,
        category_version=listing.category_version,
        main_images=[ImageRef(uri=uri) for uri in dict.fromkeys(main)],
        skus=_skus(product, settings, image_uris, listing),
        package_weight=PackageWeight(value=str(package.weight), unit=package.weight_unit),
        package_dimensions=PackageDimensions(
            length=str(package.length),
            width=str(package.width),
            height=str(package.height),
            unit=package.dimension_unit,
        ),
        brand_id=listing.brand_id,
        product_attributes=_attributes(listing) or None,
        certifications=[dict(c) for c in listing.certifications] or None,
        external_product_id=product.ext_id,
    )
    return body


def _attributes(listing: ListingContext) -> list[ProductAttributeInput]:
    out: list[ProductAttributeInput] = []
    for attr_id, values in listing.attribute_values.items():
        inputs = [
            AttributeValueInput(id=v.id) if v.id else AttributeValueInput(name=(v.name or "").strip())
            for v in values
            if v.id or (v.name or "").strip()
        ]
        if inputs:
            out.append(ProductAttributeInput(id=attr_id, values=inputs))
    return out


def _skus(
    product: StoreProduct, settings: SyncSettings, image_uris: Mapping[str, str], listing: ListingContext
) -> list[SkuInput]:
    names = r.option_names(product) if len(product.variants) > 1 else []
    codes = [r.choose_identifier(r.identifier_value(v, settings.identifier_source), settings.identifier_priority)
             for v in product.variants]
    counts: dict[str, int] = {}
    for choice in codes:
        if choice is not None:
            counts[choice[1]] = counts.get(choice[1], 0) + 1
    skus: list[SkuInput] = []
    for variant, choice in zip(product.variants, codes, strict=True):
        identifier = (
            IdentifierCode(type=choice[0], code=choice[1]) if choice is not None and counts[choice[1]] == 1 else None
        )
        skus.append(
            SkuInput(
                seller_sku=variant.sku.strip() if variant.sku else None,
                external_sku_id=variant.key,
                sales_attributes=_sales_attributes(variant, names, image_uris, listing) or None,
                inventory=[
                    InventoryEntry(
                        warehouse_id=settings.warehouse_id,
                        quantity=min(r.MAX_QUANTITY, r.listed_quantity(variant, settings.stock)),
                    )
                ],
                price=Price(amount=r.listed_price(variant, settings.price), currency=settings.currency),
                identifier_code=identifier,
            )
        )
    return skus


def _sales_attributes(
    variant: StoreVariant, names: list[str], image_uris: Mapping[str, str], listing: ListingContext
) -> list[SalesAttributeInput]:
    """One entry per option; an option the category knows goes by TikTok's attribute id (and the
    value's id when TikTok lists that value), others by custom name."""
    out: list[SalesAttributeInput] = []
    for position, name in enumerate(names):
        uri = image_uris.get(variant.image_url) if position == 0 and variant.image_url else None
        value = r.option_value(variant, name) or ""
        spec = listing.sales_attributes.get(r.clean_text(name).lower())
        value_id = spec.values.get(value.lower()) if spec is not None else None
        out.append(
            SalesAttributeInput(
                id=spec.id if spec is not None else None,
                name=None if spec is not None else r.clean_text(name),
                value_id=value_id,
                value_name=None if value_id else value,
                sku_img=ImageRef(uri=uri) if uri else None,
            )
        )
    return out
