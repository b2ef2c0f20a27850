"""TikTok's listing rules (each with its source in docs/tiktok.md), as the sandbox enforces them.

``check_product`` returns every problem found, in a fixed order, each with TikTok's code (or
the sandbox's chosen one, see ``codes``). Create and edit answer with the first problem;
listing_check returns them all. docs/tiktok.md has the table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from local.sandbox_tiktok import catalog
from local.sandbox_tiktok import codes as c
from local.sandbox_tiktok.state import Image, Product, Shop

#: Regions where titles may be 1-255 characters (elsewhere 25-255; BR/MX 1-300).
SHORT_TITLE_REGIONS = {"US", "GB", "UK", "DE", "ES", "FR", "IE", "IT", "JP"}
LONG_TITLE_REGIONS = {"BR", "MX"}
#: Regions allowing 300 SKUs per product (elsewhere 100).
MANY_SKU_REGIONS = {"BR", "DE", "ES", "FR", "IE", "IT", "JP", "MX", "GB", "UK", "US"}
MAX_MAIN_IMAGES = 9
#: TikTok's documented main-image rule: at least 300 x 300 px. Other ratios than 1:1 are accepted
#: (TikTok converts 3:4 to 4:3 itself). The connector pads to a 600 px square on its own side.
MIN_MAIN_IMAGE_PX = 300
MAX_IMAGE_PX = 4000
MAX_SALES_ATTRIBUTE_TYPES = 3
MAX_DESCRIPTION_CHARS = 10_000
MAX_DESCRIPTION_IMAGES = 30
#: UNCONFIRMED whether TikTok accepts 0 (TikTok's documents say [1, 99999]); the sandbox does, so
#: the connector can zero a SKU. One constant to change.
MIN_QUANTITY = 0
MAX_QUANTITY = 99_999

IDENTIFIER_FORMATS: dict[str, re.Pattern[str]] = {
    "GTIN": re.compile(r"^\d{14}$"),
    "EAN": re.compile(r"^(\d{8}|\d{13}|\d{14})$"),
    "UPC": re.compile(r"^\d{12}$"),
    "ISBN": re.compile(r"^(\d{13}|\d{9}X)$"),
    "JAN": re.compile(r"^(\d{8}|\d{13})$"),
}

_EMOJI = re.compile("[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f900-\U0001f9ff\ufe0f]")
_REPEATS = re.compile(r"(.)\1{8,}")
_CHINESE = re.compile("[\u4e00-\u9fff]")
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC = re.compile(r"""src\s*=\s*["']([^"']+)["']""", re.IGNORECASE)

Problem = tuple[int, str]


@dataclass
class Context:
    shop: Shop
    images: dict[str, Image]
    image_url_prefix: str
    brands: list[catalog.Brand]
    products: dict[str, Product]
    editing: str | None = None  # product id when the body is an edit


def _present(body: dict[str, Any], field: str) -> bool:
    value = body.get(field)
    return value not in (None, "", [], {})


def check_product(body: dict[str, Any], ctx: Context, *, creating: bool = True) -> list[Problem]:
    problems: list[Problem] = []
    for check in _CHECKS:
        problems.extend(check(body, ctx))
        if problems and check in _GATES:  # nothing after these is meaningful if they fail
            break
    if creating and not problems and ctx.shop.listed_today >= ctx.shop.daily_listing_limit:
        problems.append((c.DAILY_LISTING_LIMIT, "The shop reached its daily listing limit"))
    return problems


def _shop_ready(body: dict[str, Any], ctx: Context) -> list[Problem]:
    if not ctx.shop.onboarded:
        return [(c.SELLER_NOT_ONBOARDED, "The seller has not completed onboarding")]
    if not ctx.shop.has_shipping_template:
        return [(c.NO_SHIPPING_TEMPLATE, "The shop has no shipping template")]
    return []


def _required(body: dict[str, Any], ctx: Context) -> list[Problem]:
    for field in ("title", "description", "category_id", "main_images", "skus", "package_weight"):
        if not _present(body, field):
            return [(c.BAD_PARAMETER, f"param body.{field} is missing")]
    if not isinstance(body["main_images"], list) or not all(isinstance(i, dict) for i in body["main_images"]):
        return [(c.BAD_PARAMETER, "param body.main_images is invalid")]
    if not isinstance(body["skus"], list) or not isinstance(body["package_weight"], dict):
        return [(c.BAD_PARAMETER, "param body.skus / package_weight is invalid")]
    for index, sku in enumerate(body["skus"]):
        if (
            not isinstance(sku, dict)
            or not isinstance(sku.get("price"), dict)
            or not isinstance(sku.get("inventory"), list)
            or not sku["inventory"]
        ):
            return [(c.BAD_PARAMETER, f"param body.skus[{index}].price/inventory is missing")]
    if body.get("package_dimensions") is not None and not isinstance(body["package_dimensions"], dict):
        return [(c.BAD_PARAMETER, "param body.package_dimensions is invalid")]
    return []


def _category(body: dict[str, Any], ctx: Context) -> list[Problem]:
    found = catalog.find(str(body["category_id"]))
    if found is None:
        return [(c.CATEGORY_NOT_FOUND, "The category does not exist")]
    node, version = found
    wanted = body.get("category_version") or ctx.shop.category_version
    if version != wanted or wanted != ctx.shop.category_version:
        return [(c.CATEGORY_WRONG_VERSION, f"The shop uses category version {ctx.shop.category_version}")]
    if not catalog.is_leaf(node):
        return [(c.CATEGORY_NOT_LEAF, "The category is not a leaf category")]
    if node.invite_only:
        return [(c.CATEGORY_RESTRICTED, "The category is invite-only; apply in Seller Center")]
    return []


def _title(body: dict[str, Any], ctx: Context) -> list[Problem]:
    title = str(body["title"])
    region = ctx.shop.region
    low, high = (1, 255) if region in SHORT_TITLE_REGIONS else (1, 300) if region in LONG_TITLE_REGIONS else (25, 255)
    if not low <= len(title) <= high:
        return [(c.TITLE_INVALID, f"The title must be {low}-{high} characters")]
    if _EMOJI.search(title):
        return [(c.TITLE_INVALID, "The title must not contain emojis")]
    if _REPEATS.search(title):
        return [(c.TITLE_INVALID, "The title must not repeat a character 9 or more times")]
    return []


def _description(body: dict[str, Any], ctx: Context) -> list[Problem]:
    text = str(body["description"])
    if len(text) > MAX_DESCRIPTION_CHARS:
        return [(c.DESCRIPTION_TOO_LONG, f"The description exceeds {MAX_DESCRIPTION_CHARS} characters")]
    tags = _IMG.findall(text)
    if len(tags) > MAX_DESCRIPTION_IMAGES:
        return [(c.DESCRIPTION_TOO_MANY_IMAGES, f"The description has more than {MAX_DESCRIPTION_IMAGES} images")]
    for tag in tags:
        src = _SRC.search(tag)
        if not src or not src.group(1).startswith(ctx.image_url_prefix):
            return [(c.DESCRIPTION_FOREIGN_IMAGE, "Description images must be uploaded to TikTok Shop")]
    if _CHINESE.search(text):
        return [(c.DESCRIPTION_CHINESE, "The description must not contain Chinese characters")]
    return []


def _image_problems(uri: str, ctx: Context, *, main: bool) -> list[Problem]:
    image = ctx.images.get(uri)
    if image is None:
        return [(c.IMAGE_NOT_FOUND, "An image was not uploaded to TikTok Shop")]
    if main and min(image.width, image.height) < MIN_MAIN_IMAGE_PX:
        return [(c.IMAGE_TOO_SMALL, f"Main images must be at least {MIN_MAIN_IMAGE_PX}x{MIN_MAIN_IMAGE_PX} px")]
    if max(image.width, image.height) > MAX_IMAGE_PX:
        return [(c.IMAGE_TOO_LARGE, f"Images must be at most {MAX_IMAGE_PX} px")]
    return []


def _main_images(body: dict[str, Any], ctx: Context) -> list[Problem]:
    images = body["main_images"]
    if len(images) > MAX_MAIN_IMAGES:
        return [(c.MAIN_IMAGES_TOO_MANY, f"At most {MAX_MAIN_IMAGES} main images")]
    for ref in images:
        problems = _image_problems(str((ref or {}).get("uri", "")), ctx, main=True)
        if problems:
            return problems
    return []


def _node(body: dict[str, Any]) -> catalog.Node:
    found = catalog.find(str(body["category_id"]))
    assert found is not None  # _category ran first
    return found[0]


def _brand(body: dict[str, Any], ctx: Context) -> list[Problem]:
    brand_id = body.get("brand_id")
    if not brand_id:
        return []
    brand = next((b for b in ctx.brands if b.id == str(brand_id)), None)
    kind = _node(body).kind
    if brand is None or (brand.kinds and kind not in brand.kinds):
        return [(c.BRAND_NOT_AVAILABLE, "The brand is not available in this category")]
    if not brand.authorized:
        return [(c.BRAND_NOT_AUTHORIZED, "The seller is not authorized to sell this brand")]
    return []


def _attributes(body: dict[str, Any], ctx: Context) -> list[Problem]:
    node = _node(body)
    known = {a.id: a for a in catalog.attributes(node) if a.type == "PRODUCT_PROPERTY"}
    given: dict[str, list[Any]] = {}
    for attr in body.get("product_attributes") or []:
        attr_id = str(attr.get("id"))
        if attr_id not in known:
            return [(c.ATTRIBUTE_NOT_IN_CATEGORY, f"Attribute {attr_id} does not belong to the category")]
        given[attr_id] = [v for v in attr.get("values") or [] if v.get("id") or v.get("name")]
    for attr in known.values():
        if attr.required and not given.get(attr.id):
            return [(c.REQUIRED_ATTRIBUTE_MISSING, f"Required attribute '{attr.name}' is missing")]
    cert = catalog.CERTIFICATIONS.get(node.kind)
    if cert and cert["is_required"]:
        ids = {str(x.get("id")) for x in body.get("certifications") or []}
        if cert["id"] not in ids:
            return [(c.QUALIFICATION_MISSING, f"Certification '{cert['name']}' is required")]
    return []


def _skus(body: dict[str, Any], ctx: Context) -> list[Problem]:
    skus: list[dict[str, Any]] = body["skus"]
    limit = 300 if ctx.shop.region in MANY_SKU_REGIONS else 100
    if len(skus) > limit:
        return [(c.SKUS_TOO_MANY, f"At most {limit} SKUs per product")]
    return _sales_attributes(skus, ctx) or _sku_fields(skus, ctx)


def _attribute_key(attr: dict[str, Any]) -> str:
    return f"id:{attr['id']}" if attr.get("id") else f"name:{str(attr.get('name', '')).strip().lower()}"


def _sales_attributes(skus: list[dict[str, Any]], ctx: Context) -> list[Problem]:
    sets = [[_attribute_key(a) for a in sku.get("sales_attributes") or []] for sku in skus]
    types = {key for keys in sets for key in keys}
    if len(types) > MAX_SALES_ATTRIBUTE_TYPES:
        return [(c.SALES_ATTRIBUTES_TOO_MANY, f"At most {MAX_SALES_ATTRIBUTE_TYPES} sales attributes")]
    if len(skus) > 1 and any(not keys for keys in sets):
        return [(c.SALES_ATTRIBUTES_MISSING, "Every SKU of a multi-SKU product needs sales attributes")]
    if any(sorted(keys) != sorted(sets[0]) for keys in sets):
        return [(c.SALES_ATTRIBUTES_INCONSISTENT, "Every SKU must have the same sales attributes")]
    combos: set[tuple[str, ...]] = set()
    for sku in skus:
        attrs = sku.get("sales_attributes") or []
        for position, attr in enumerate(attrs):
            if not attr.get("id") and len(str(attr.get("name", ""))) > 20:
                return [(c.SALES_ATTRIBUTE_TOO_LONG, "Custom sales attribute names are at most 20 characters")]
            if not attr.get("value_id") and len(str(attr.get("value_name", ""))) > 50:
                return [(c.SALES_ATTRIBUTE_TOO_LONG, "Custom sales attribute values are at most 50 characters")]
            if position > 0 and attr.get("sku_img"):
                return [(c.SKU_IMAGE_NOT_PRIMARY, "Only the primary sales attribute may carry SKU images")]
            if attr.get("sku_img"):
                problems = _image_problems(str(attr["sku_img"].get("uri", "")), ctx, main=False)
                if problems:
                    return problems
        combo = tuple(
            sorted(f"{_attribute_key(a)}={a.get('value_id') or str(a.get('value_name', '')).lower()}" for a in attrs)
        )
        if attrs and combo in combos:
            return [(c.SALES_ATTRIBUTES_DUPLICATE, "Two SKUs have the same sales attribute values")]
        combos.add(combo)
    return []


def _sku_fields(skus: list[dict[str, Any]], ctx: Context) -> list[Problem]:
    identifiers: set[str] = set()
    for sku in skus:
        seller_sku = sku.get("seller_sku")
        if seller_sku is not None and (not 1 <= len(str(seller_sku)) <= 50 or " " in str(seller_sku)):
            return [(c.SELLER_SKU_INVALID, "seller_sku must be 1-50 characters without spaces")]
        code = sku.get("identifier_code")
        if code:
            kind, value = str(code.get("type", "")).upper(), str(code.get("code", ""))
            pattern = IDENTIFIER_FORMATS.get(kind)
            if pattern is None or not pattern.match(value):
                return [(c.IDENTIFIER_INVALID, f"The {kind or 'identifier'} code format is invalid")]
            if value in identifiers:
                return [(c.IDENTIFIER_DUPLICATE, "Identifier codes must be unique across SKUs")]
            identifiers.add(value)
        price = sku["price"]
        try:
            amount = Decimal(str(price.get("amount")))
        except (InvalidOperation, ValueError):
            return [(c.PRICE_INVALID, "The price amount is not a number")]
        if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
            return [(c.PRICE_INVALID, "The price must be positive with at most 2 decimals")]
        if price.get("currency") != ctx.shop.currency:
            return [(c.PRICE_CURRENCY_MISMATCH, f"The shop's currency is {ctx.shop.currency}")]
        problems = inventory_problems(sku["inventory"], ctx.shop)
        if problems:
            return problems
    return []


def inventory_problems(entries: list[dict[str, Any]], shop: Shop) -> list[Problem]:
    for entry in entries:
        warehouse = shop.warehouse(str(entry.get("warehouse_id")))
        if warehouse is None:
            return [(c.WAREHOUSE_NOT_FOUND, "The warehouse does not exist")]
        if warehouse.type != "SALES_WAREHOUSE" or warehouse.effect_status != "ENABLED":
            return [(c.WAREHOUSE_NOT_SALES, "The warehouse is not an enabled sales warehouse")]
        quantity = entry.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not MIN_QUANTITY <= quantity <= MAX_QUANTITY:
            return [(c.INVENTORY_OUT_OF_RANGE, f"Quantity must be an integer in [{MIN_QUANTITY}, {MAX_QUANTITY}]")]
    return []


_WEIGHT_UNITS = {"US": {"KILOGRAM", "POUND"}, "BR": {"KILOGRAM", "GRAM"}, "JP": {"KILOGRAM", "GRAM"}}
_WEIGHT_UNITS["MX"] = _WEIGHT_UNITS["BR"]
_METRIC = {"KILOGRAM", "GRAM", "CENTIMETER"}


def _package(body: dict[str, Any], ctx: Context) -> list[Problem]:
    weight = body["package_weight"]
    unit = str(weight.get("unit", ""))
    allowed = _WEIGHT_UNITS.get(ctx.shop.region, {"KILOGRAM"})
    if unit not in allowed:
        return [(c.PACKAGE_WEIGHT_INVALID, f"Weight unit must be one of {sorted(allowed)}")]
    try:
        value = Decimal(str(weight.get("value")))
    except (InvalidOperation, ValueError):
        return [(c.PACKAGE_WEIGHT_INVALID, "The package weight is not a number")]
    places = {"GRAM": 0, "KILOGRAM": 3, "POUND": 2}[unit]
    if not value.is_finite() or value <= 0 or -value.as_tuple().exponent > places:  # type: ignore[operator]
        return [(c.PACKAGE_WEIGHT_INVALID, f"The weight must be positive with at most {places} decimals")]
    dims = body.get("package_dimensions")
    if not dims:
        return [(c.PACKAGE_DIMENSIONS_INVALID, "Package dimensions are required in this category")]
    dim_unit = str(dims.get("unit", ""))
    if dim_unit not in ({"CENTIMETER", "INCH"} if ctx.shop.region == "US" else {"CENTIMETER"}):
        return [(c.PACKAGE_DIMENSIONS_INVALID, "Invalid package dimension unit")]
    if (dim_unit in _METRIC) != (unit in _METRIC):
        return [(c.PACKAGE_DIMENSIONS_INVALID, "Weight and dimensions must use the same measurement system")]
    for side in ("length", "width", "height"):
        raw = str(dims.get(side, ""))
        if not raw.isdigit() or int(raw) <= 0:
            return [(c.PACKAGE_DIMENSIONS_INVALID, f"Package {side} must be a positive whole number")]
    return []


def _external_id(body: dict[str, Any], ctx: Context) -> list[Problem]:
    external = body.get("external_product_id")
    if not external:
        return []
    for product in ctx.products.values():
        if (
            product.shop_id == ctx.shop.id
            and product.id != ctx.editing
            and product.status != "DELETED"
            and product.body.get("external_product_id") == external
        ):
            return [(c.DUPLICATE_EXTERNAL_ID, "Another product has this external_product_id")]
    return []


_CHECKS: list[Callable[[dict[str, Any], Context], list[Problem]]] = [
    _shop_ready,
    _required,
    _category,
    _title,
    _description,
    _main_images,
    _brand,
    _attributes,
    _skus,
    _package,
    _external_id,
]
_GATES = (_shop_ready, _required, _category)
