"""Pre-validation: every TikTok listing rule checked before a push, in plain words.

:func:`validate` returns :class:`Problem` s. A *blocking* problem keeps the product off TikTok
until the merchant fixes it; a non-blocking one is a notice (the connector works around it).
Whenever no blocking problem is returned, :func:`connector.catalog.transform.to_product_input`
builds a body TikTok's rules accept (tested against the sandbox's rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from connector.catalog import rules as r
from connector.catalog.description import listing_description
from connector.catalog.settings import ListingContext, SyncSettings
from connector.stores.protocol import StoreProduct, StoreVariant

MAX_PRICE = Decimal("10000000")
MIN_CONTENT_PX = 300
"""Below this (TikTok's own minimum) an image is enlarged a lot: a notice, not a block."""
MAX_PACKAGE_KG = Decimal("10000")


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    variant_key: str | None = None
    blocking: bool = True


def blocking(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.blocking]


def _variant_label(variant: StoreVariant) -> str:
    if variant.option_values:
        return ", ".join(f"{k}: {v}" for k, v in variant.option_values.items())
    return f"SKU {variant.sku}" if variant.sku else f"variant {variant.key}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def validate(product: StoreProduct, listing: ListingContext, settings: SyncSettings) -> list[Problem]:
    """Every problem found, in a fixed order; never raises for any valid ``StoreProduct``."""
    problems: list[Problem] = []
    for check in (_category, _title, _description, _images, _options, _skus, _package):
        problems.extend(check(product, listing, settings))
    return problems


def _category(product: StoreProduct, listing: ListingContext, settings: SyncSettings) -> list[Problem]:
    if not listing.category_id:
        return [
            Problem(
                "no_category",
                "Product has no TikTok category. Map its store category to a TikTok category, "
                "or choose one for this product.",
            )
        ]
    problems: list[Problem] = []
    for attr_id, name in listing.required_attributes.items():
        values = listing.attribute_values.get(attr_id, ())
        if not any((v.id or (v.name or "").strip()) for v in values):
            problems.append(
                Problem(
                    "missing_required_attribute",
                    f"TikTok requires '{name}' for this category. Fill it for the category or this product.",
                )
            )
    given = {str(c.get("id")) for c in listing.certifications}
    for cert_id, name in listing.required_certifications.items():
        if cert_id not in given:
            problems.append(
                Problem(
                    "missing_certification",
                    f"TikTok requires the certification '{name}' for this category. Upload it for this product.",
                )
            )
    return problems


def _title(product: StoreProduct, listing: ListingContext, settings: SyncSettings) -> list[Problem]:
    title = r.clean_text(product.title)
    low, high = r.title_limits(settings.region)
    if not low <= len(title) <= high:
        return [
            Problem(
                "title_length",
                f"Title has {_plural(len(title), 'character')}; TikTok needs {low} to {high}. "
                + ("Shorten it." if len(title) > high else "Make it longer and more descriptive."),
            )
        ]
    if r.EMOJI.search(title):
        return [Problem("title_content", "Title contains emojis; TikTok does not allow them. Remove them.")]
    if r.REPEATS.search(title):
        return [
            Problem(
                "title_content",
                "Title repeats one character 9 or more times in a row; TikTok does not allow it. Shorten the run.",
            )
        ]
    return []


def _description(product: StoreProduct, listing: ListingContext, settings: SyncSettings) -> list[Problem]:
    hosted = listing.description_images
    text = listing_description(product.description_html, product.title,
                               hosted.get if hosted is not None else None).html
    if len(text) > r.MAX_DESCRIPTION_CHARS:
        return [
            Problem(
                "description_length",
                f"Description is {len(text):,} characters once cleaned up for TikTok; TikTok allows at most "
                f"{r.MAX_DESCRIPTION_CHARS:,}. Shorten it.",
            )
        ]
    if r.CHINESE.search(text):
        return [
            Problem(
                "description_language",
                "Description contains Chinese characters; TikTok does not allow them here. Remove or translate them.",
            )
        ]
    return []


def _images(product: StoreProduct, listing: ListingContext, settings: SyncSettings) -> list[Problem]:
    problems: list[Problem] = []
    urls = list(dict.fromkeys(image.url for image in product.images))
    usable = [url for url in urls if url not in listing.failed_images]
    for url, reason in listing.failed_images.items():
        if url in urls:
            problems.append(
                Problem("image_unreadable", f"Image {url} could not be used ({reason}). Replace it.", blocking=False)
            )
    if not usable:
        problems.append(
            Problem(
                "no_images",
                "Product has no usable image; TikTok needs at least one. Add a product image."
                if not urls
                else "None of the product's images could be used; TikTok needs at least one. Replace them.",
            )
        )
    if len(usable) > r.MAX_MAIN_IMAGES:
        problems.append(
            Problem(
                "too_many_images",
                f"Product has {len(usable)} images; TikTok allows at most {r.MAX_MAIN_IMAGES}. "
                f"The main image and the next {r.MAX_MAIN_IMAGES - 1} will be listed.",
                blocking=False,
            )
        )
    for image in product.images:
        if image.width and image.height and max(image.width, image.height) < MIN_CONTENT_PX:
            problems.append(
                Problem(
                    "image_too_small",
                    f"Image {image.url} is {image.width}x{image.height} px; it will be enlarged to 600x600 "
                    "and may look blurry. Upload a larger one if you can.",
                    blocking=False,
                )
            )
    return problems


def _options(product: StoreProduct, listing: ListingContext, settings: SyncSettings) -> list[Problem]:
    if len(product.variants) <= 1:
        return []
    names = r.option_names(product)
    if len(names) > r.MAX_SALES_ATTRIBUTES:
        return [
            Problem(
                "too_many_options",
                f"Product has {len(names)} options ({', '.join(r.clean_text(n) for n in names)}); TikTok allows "
                f"at most {r.MAX_SALES_ATTRIBUTES}. Merge or remove "
                f"{'one' if len(names) == r.MAX_SALES_ATTRIBUTES + 1 else 'some'}.",
            )
        ]
    if not names:
        return [
            Problem(
                "missing_option_value",
                f"Product has {len(product.variants)} variants but no options telling them apart. "
                "Give each variant an option value (e.g. Size).",
            )
        ]
    problems: list[Problem] = []
    for name in names:
        cleaned = r.clean_text(name)
        if not 1 <= len(cleaned) <= r.MAX_ATTRIBUTE_NAME:
            problems.append(
                Problem(
                    "option_name_length",
                    f"Option name '{cleaned}' has {_plural(len(cleaned), 'character')}; TikTok needs 1 to "
                    f"{r.MAX_ATTRIBUTE_NAME}. Rename it.",
                )
            )
    seen: dict[tuple[str, ...], StoreVariant] = {}
    for variant in product.variants:
        values: list[str] = []
        for name in names:
            value = r.option_value(variant, name)
            if not value:
                problems.append(
                    Problem(
                        "missing_option_value",
                        f"Variant {_variant_label(variant)} has no {r.clean_text(name)}; on TikTok every variant "
                        "needs a value for every option. Set one.",
                        variant_key=variant.key,
                    )
                )
                values.append("")
            elif len(value) > r.MAX_ATTRIBUTE_VALUE:
                problems.append(
                    Problem(
                        "option_value_length",
                        f"Option value '{value[:60]}' is {len(value)} characters; TikTok allows at most "
                        f"{r.MAX_ATTRIBUTE_VALUE}. Shorten it.",
                        variant_key=variant.key,
                    )
                )
                values.append(value.lower())
            else:
                values.append(value.lower())
        combo = tuple(values)
        if combo in seen and all(combo):
            problems.append(
                Problem(
                    "duplicate_variant",
                    f"Variants {_variant_label(seen[combo])} and {_variant_label(variant)} have the same option "
                    "values; TikTok needs each variant to differ. Change or remove one.",
                    variant_key=variant.key,
                )
            )
        seen.setdefault(combo, variant)
    return problems


def _skus(product: StoreProduct, listing: ListingContext, settings: SyncSettings) -> list[Problem]:
    problems: list[Problem] = []
    limit = r.max_skus(settings.region)
    if len(product.variants) > limit:
        problems.append(
            Problem(
                "too_many_skus",
                f"Product has {len(product.variants)} variants; TikTok allows at most {limit} in this region. "
                "Split it into several products.",
            )
        )
    codes: dict[str, list[StoreVariant]] = {}
    for variant in product.variants:
        label = _variant_label(variant)
        if variant.sku is not None:
            sku = variant.sku.strip()
            if not 1 <= len(sku) <= r.MAX_SELLER_SKU:
                problems.append(
                    Problem(
                        "seller_sku_length",
                        f"SKU '{sku[:60]}' of {label} has {_plural(len(sku), 'character')}; TikTok needs 1 to "
                        f"{r.MAX_SELLER_SKU}. Change it.",
                        variant_key=variant.key,
                    )
                )
            elif any(ch.isspace() for ch in sku):
                problems.append(
                    Problem(
                        "seller_sku_format",
                        f"SKU '{sku}' of {label} contains spaces; TikTok does not allow them. Remove them.",
                        variant_key=variant.key,
                    )
                )
        given = r.identifier_value(variant, settings.identifier_source)
        if given and given.strip():
            code = r.normalise_code(given)
            choice = r.choose_identifier(code, settings.identifier_priority)
            if not r.identifier_kinds(code):
                problems.append(
                    Problem(
                        "bad_identifier",
                        f"{'SKU' if settings.identifier_source == 'sku' else 'Barcode'} '{given.strip()[:40]}' of "
                        f"{label} is not a valid GTIN-14, EAN-8/13/14, UPC-12 or ISBN-13 "
                        f"({_identifier_fault(code)}). Correct it or remove it.",
                        variant_key=variant.key,
                    )
                )
            elif choice is not None:
                codes.setdefault(choice[1], []).append(variant)
        try:
            price = r.listed_price(variant, settings.price)
        except InvalidOperation:
            price = Decimal(-1)
        if not r.MIN_PRICE <= price <= MAX_PRICE:
            problems.append(
                Problem(
                    "price_range",
                    f"Price of {label} would be {price} {settings.currency} after the price rules; TikTok needs "
                    f"between {r.MIN_PRICE} and {MAX_PRICE}. Check the price or the price rule.",
                    variant_key=variant.key,
                )
            )
        quantity = r.listed_quantity(variant, settings.stock)
        if quantity > r.MAX_QUANTITY:
            problems.append(
                Problem(
                    "stock_range",
                    f"{label} has {quantity:,} units to sell; TikTok allows at most {r.MAX_QUANTITY:,} per SKU, "
                    f"so {r.MAX_QUANTITY:,} will be listed.",
                    variant_key=variant.key,
                    blocking=False,
                )
            )
    for code, sharing in codes.items():
        if len(sharing) > 1:
            problems.append(
                Problem(
                    "duplicate_identifier",
                    f"Barcode {code} is shared by {len(sharing)} variants; TikTok needs a different code per "
                    "variant, so it is left off them. Give each variant its own barcode.",
                    blocking=False,
                )
            )
    return problems


def _identifier_fault(code: str) -> str:
    if not code.isdigit():
        return "it must be digits only"
    if len(code) not in (8, 12, 13, 14):
        return f"it has {len(code)} digits"
    return "its check digit is wrong"


def _package(product: StoreProduct, listing: ListingContext, settings: SyncSettings) -> list[Problem]:
    problems: list[Problem] = []
    weight = r.package_weight_kg(product, settings)
    if weight is None:
        problems.append(
            Problem(
                "missing_weight",
                "Product has no weight and the connection has no default package weight; TikTok needs one. "
                "Enter the weight in the store, or set a default package weight.",
            )
        )
    elif weight > MAX_PACKAGE_KG:
        problems.append(
            Problem("weight_range", f"Package weight {weight.normalize()} kg is not plausible. Check the weight.")
        )
    if r.package_dimensions_cm(product, settings) is None:
        problems.append(
            Problem(
                "missing_dimensions",
                "Product has no package dimensions and the connection has no default package size; TikTok needs "
                "length, width and height. Enter them in the store, or set a default package size.",
            )
        )
    return problems
