"""A catalog generator for the sandbox Shopify: realistic variety, deliberate flaws.

``generate_catalog(n, seed, image_base)`` is pure and reproducible (one ``random.Random(seed)``,
no clock). Products are Admin API GraphQL-shaped specs without ids (the sandbox assigns ids):

- products without options (Shopify's single ``Title`` / ``Default Title`` variant) and with one
  to three options, variants with their own SKU, barcode, price, compare-at price and stock,
  untracked inventory, zero stock, draft and archived products, a vendor (the brand) and a
  product type, and one to four images of various sizes (the sandbox renders them as PNGs).
- about 12% of products (and at least one of each flaw from 32 products on) carry exactly one
  deliberate flaw (see ``FLAWS``); the flaw is recorded
  in :attr:`GeneratedProduct.flaws` only: nothing in the API tells it.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

FLAW_NO_IMAGE = "no_image"
FLAW_SMALL_IMAGE = "small_image"
FLAW_NON_SQUARE_IMAGE = "non_square_image"
FLAW_BAD_BARCODE = "bad_barcode"
FLAW_NO_WEIGHT = "no_weight"
FLAW_NO_SKU = "no_sku"
FLAW_HTML_TABLE = "html_table_description"
FLAW_MANY_VARIANTS = "many_variants"
FLAWS: tuple[str, ...] = (
    FLAW_NO_IMAGE,
    FLAW_SMALL_IMAGE,
    FLAW_NON_SQUARE_IMAGE,
    FLAW_BAD_BARCODE,
    FLAW_NO_WEIGHT,
    FLAW_NO_SKU,
    FLAW_HTML_TABLE,
    FLAW_MANY_VARIANTS,
)
FLAWED_SHARE = 0.12
MANY_VARIANTS = 120
"""A product with more variants than one page of the adapter's product query holds (and more
than a TikTok product takes)."""

PRODUCT_TYPES: dict[str, tuple[str, ...]] = {
    "T-Shirts": ("Tee", "Crew Neck Tee", "V-Neck Shirt", "Graphic Tee"),
    "Hoodies": ("Hoodie", "Zip Hoodie", "Sweatshirt"),
    "Kitchen": ("Mug", "Cutting Board", "Tea Kettle", "Spice Jar Set"),
    "Decor": ("Candle", "Throw Pillow", "Wall Clock", "Vase"),
    "Audio": ("Earbuds", "Bluetooth Speaker", "Headphones"),
    "Beauty": ("Face Serum", "Lip Balm", "Hand Cream", "Body Oil"),
}
VENDORS = ("Northwind", "Acme Goods", "Blue Fern", "Kettle & Co", "Loud Bird Audio", "Sola Skin")
ADJECTIVES = ("Classic", "Organic", "Everyday", "Premium", "Minimal", "Vintage", "Soft", "Bold")
OPTION_VALUES: dict[str, tuple[str, ...]] = {
    "Size": ("XS", "S", "M", "L", "XL", "XXL"),
    "Color": ("Black", "White", "Red", "Navy", "Olive", "Sand", "Grey", "Pink"),
    "Material": ("Cotton", "Linen", "Wool"),
}
WEIGHT_UNITS = ("KILOGRAMS", "GRAMS", "POUNDS", "OUNCES")


@dataclass(frozen=True)
class GeneratedProduct:
    spec: dict[str, Any]
    flaws: tuple[str, ...] = ()
    images: tuple[tuple[str, int, int, tuple[int, int, int]], ...] = field(default=())
    """(file name, width, height, colour) of each image, for the sandbox to render."""


def gtin13(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(12)]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def _bad_gtin(rng: random.Random) -> str:
    good = gtin13(rng)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def generate_catalog(n: int, seed: int = 0, image_base: str = "https://cdn.example.invalid") -> list[GeneratedProduct]:
    rng = random.Random(seed)
    # every flaw shows once a catalog has a few dozen products; they are dealt in turn
    count = max(round(n * FLAWED_SHARE), min(len(FLAWS), n // 4))
    flawed = sorted(rng.sample(range(n), k=count)) if n else []
    flaw_of = {index: FLAWS[turn % len(FLAWS)] for turn, index in enumerate(flawed)}
    products = []
    for index in range(n):
        flaw = flaw_of.get(index)
        products.append(_product(rng, index, flaw, image_base.rstrip("/")))
    return products


def _product(rng: random.Random, index: int, flaw: str | None, image_base: str) -> GeneratedProduct:
    product_type = rng.choice(sorted(PRODUCT_TYPES))
    title = f"{rng.choice(ADJECTIVES)} {rng.choice(PRODUCT_TYPES[product_type])} {index + 1}"
    base_price = Decimal(rng.randrange(500, 15000)) / 100
    sku_root = f"SH-{index + 1:04d}"

    if flaw == FLAW_MANY_VARIANTS:
        options = [("Size", OPTION_VALUES["Size"]), ("Color", OPTION_VALUES["Color"]),
                   ("Material", OPTION_VALUES["Material"])]
    else:
        count = rng.choices((0, 1, 2, 3), weights=(40, 35, 20, 5))[0]
        names = rng.sample(sorted(OPTION_VALUES), k=count)
        options = [(name, tuple(rng.sample(OPTION_VALUES[name], k=rng.randint(2, 3)))) for name in names]
    combos = list(itertools.product(*[values for _, values in options])) if options else [()]
    if flaw == FLAW_MANY_VARIANTS:
        combos = combos[:MANY_VARIANTS]

    unit = rng.choice(WEIGHT_UNITS)
    tracked = rng.random() > 0.1
    variants = []
    for number, combo in enumerate(combos, start=1):
        selected = [{"name": name, "value": value} for (name, _), value in zip(options, combo, strict=True)]
        price = base_price + Decimal(rng.choice((0, 0, 100, 250))) / 100
        weight = None if flaw == FLAW_NO_WEIGHT else {
            "unit": unit, "value": float(Decimal(rng.randrange(5, 3000)) / 10)}
        variants.append({
            "sku": None if flaw == FLAW_NO_SKU and number == 1 else f"{sku_root}-{number:03d}",
            "barcode": (_bad_gtin(rng) if flaw == FLAW_BAD_BARCODE and number == 1
                        else gtin13(rng) if rng.random() > 0.2 else None),
            "price": _money(price),
            "compareAtPrice": _money(price * Decimal("1.25")) if rng.random() < 0.3 else None,
            "inventoryQuantity": 0 if rng.random() < 0.1 else rng.randrange(1, 80),
            "inventoryPolicy": "CONTINUE" if rng.random() < 0.05 else "DENY",
            "selectedOptions": selected or [{"name": "Title", "value": "Default Title"}],
            "inventoryItem": {"tracked": tracked, "measurement": {"weight": weight}},
        })

    images: list[tuple[str, int, int, tuple[int, int, int]]] = []
    if flaw != FLAW_NO_IMAGE:
        for number in range(rng.randint(1, 4)):
            size = rng.choice((800, 1000, 1200, 1600))
            width, height = size, size
            if number == 0 and flaw == FLAW_SMALL_IMAGE:
                width = height = 240
            if number == 0 and flaw == FLAW_NON_SQUARE_IMAGE:
                height = size // 2
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            images.append((f"p{index + 1}-{number + 1}-{width}x{height}", width, height, colour))

    description = f"<p>{title}: made to last.</p><ul><li>Easy care</li><li>Ships fast</li></ul>"
    if flaw == FLAW_HTML_TABLE:
        description += "<table><tr><th>Size</th><th>Chest</th></tr><tr><td>M</td><td>100 cm</td></tr></table>"

    status = rng.choices(("ACTIVE", "DRAFT", "ARCHIVED"), weights=(88, 8, 4))[0]
    spec = {
        "title": title,
        "descriptionHtml": description,
        "vendor": rng.choice(VENDORS),
        "productType": product_type,
        "status": status,
        "tags": sorted(rng.sample(("new", "sale", "gift", "eco", "bestseller"), k=rng.randint(0, 2))),
        "options": ([{"name": name, "values": list(values)} for name, values in options]
                    or [{"name": "Title", "values": ["Default Title"]}]),
        "media": [
            {"alt": title, "image": {"url": f"{image_base}/{name}.png", "width": width, "height": height}}
            for name, width, height, _ in images
        ],
        "variants": variants,
    }
    return GeneratedProduct(spec, (flaw,) if flaw else (), tuple(images))
