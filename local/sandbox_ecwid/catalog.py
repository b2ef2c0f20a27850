"""A catalog generator for the sandbox Ecwid store: realistic variety, deliberate flaws.

``generate_catalog(n, seed)`` is pure and reproducible (one ``random.Random(seed)``, no clock).
Products are Ecwid-shaped specs without ids (the sandbox assigns ids when it seeds a store):

- simple products and products with combinations (1-2 options; combinations that have their
  own SKU, price, weight or stock and combinations that inherit them), price-modifier-only
  options (no SKU of their own), unlimited stock, zero stock, disabled products, compare-at
  prices, several categories in two levels, product classes with UPC / brand attributes, and
  1-4 images of various sizes (the sandbox renders them as PNGs).
- about 12% of products carry exactly one deliberate flaw (see ``FLAWS``). The flaw is
  recorded in :attr:`GeneratedProduct.flaws` only: nothing in the API tells it.
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

FLAW_NO_CATEGORY = "no_category"
FLAW_FOUR_OPTIONS = "four_options"
FLAW_SMALL_IMAGE = "small_image"
FLAW_NON_SQUARE_IMAGE = "non_square_image"
FLAW_BAD_UPC = "bad_upc"
FLAW_NO_WEIGHT = "no_weight"
FLAW_HTML_TABLE = "html_table_description"
FLAWS: tuple[str, ...] = (
    FLAW_NO_CATEGORY,
    FLAW_FOUR_OPTIONS,
    FLAW_SMALL_IMAGE,
    FLAW_NON_SQUARE_IMAGE,
    FLAW_BAD_UPC,
    FLAW_NO_WEIGHT,
    FLAW_HTML_TABLE,
)
FLAWED_SHARE = 0.12

CATEGORIES: tuple[tuple[str, str | None], ...] = (
    ("Apparel", None),
    ("T-Shirts", "Apparel"),
    ("Hoodies", "Apparel"),
    ("Home", None),
    ("Kitchen", "Home"),
    ("Decor", "Home"),
    ("Electronics", None),
    ("Audio", "Electronics"),
    ("Beauty", None),
)
LEAVES: dict[str, tuple[str, ...]] = {
    "T-Shirts": ("Tee", "Crew Neck Tee", "V-Neck Shirt", "Graphic Tee"),
    "Hoodies": ("Hoodie", "Zip Hoodie", "Sweatshirt", "Pullover"),
    "Kitchen": ("Mug", "Cutting Board", "Chef Knife", "Tea Kettle", "Spice Jar Set"),
    "Decor": ("Candle", "Throw Pillow", "Wall Clock", "Vase", "Picture Frame"),
    "Audio": ("Earbuds", "Bluetooth Speaker", "Headphones", "Sound Bar"),
    "Beauty": ("Face Serum", "Lip Balm", "Hand Cream", "Shampoo Bar", "Body Oil"),
}
CLASS_OF_CATEGORY = {"T-Shirts": "Apparel", "Hoodies": "Apparel", "Audio": "Electronics"}
PRODUCT_CLASSES: dict[str, tuple[tuple[str, str], ...]] = {
    # class name -> attributes (name, Ecwid attribute type)
    "General": (("UPC", "UPC"), ("Brand", "BRAND")),
    "Apparel": (("UPC", "UPC"), ("Brand", "BRAND"), ("Material", "CUSTOM")),
    "Electronics": (("UPC", "UPC"), ("Brand", "BRAND"), ("Warranty", "CUSTOM")),
}
ADJECTIVES = (
    "Classic",
    "Organic",
    "Premium",
    "Everyday",
    "Vintage",
    "Urban",
    "Cozy",
    "Minimal",
    "Bold",
    "Eco",
)
BRANDS = ("Northwind", "Acme", "Bluebird", "Lumen & Co", "Fable", "Terra")
MATERIALS = ("Cotton", "Organic Cotton", "Polyester blend", "Merino wool")
SIZES = ("S", "M", "L", "XL")
COLORS = ("Black", "White", "Navy", "Red", "Olive")
SQUARE_SIZES = (800, 1000, 1200, 1500, 2000)


@dataclass
class GeneratedImage:
    width: int
    height: int
    color: tuple[int, int, int]


@dataclass
class GeneratedProduct:
    index: int
    spec: dict[str, Any]
    """Ecwid-shaped product without ids: ``categories`` and ``productClass`` are names,
    ``images`` are :class:`GeneratedImage` dicts, ``combinations`` carry only own fields."""
    flaws: tuple[str, ...] = ()


@dataclass
class Catalog:
    seed: int
    categories: list[dict[str, Any]] = field(default_factory=list)
    product_classes: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    products: list[GeneratedProduct] = field(default_factory=list)

    def to_json(self) -> str:
        """A canonical text of the whole catalog (for reproducibility checks)."""
        return json.dumps(asdict(self), sort_keys=True, default=str)

    def flawed(self) -> dict[int, tuple[str, ...]]:
        return {p.index: p.flaws for p in self.products if p.flaws}


def upc_check_digit(first_eleven: str) -> str:
    odd = sum(int(d) for d in first_eleven[0::2])
    even = sum(int(d) for d in first_eleven[1::2])
    return str((10 - (odd * 3 + even) % 10) % 10)


def valid_upc(value: str) -> bool:
    return len(value) == 12 and value.isdigit() and upc_check_digit(value[:11]) == value[11]


def _money(rng: random.Random, low: float, high: float) -> Decimal:
    whole = rng.randint(int(low), int(high))
    return Decimal(f"{whole}.{rng.choice(('99', '95', '49', '00', '50'))}")


def _upc(rng: random.Random) -> str:
    body = "".join(str(rng.randint(0, 9)) for _ in range(11))
    return body + upc_check_digit(body)


def _bad_upc(rng: random.Random) -> str:
    good = _upc(rng)
    if rng.random() < 0.5:
        return good[:11]  # one digit short
    wrong = str((int(good[11]) + rng.randint(1, 9)) % 10)
    return good[:11] + wrong  # wrong check digit


def _color(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randint(30, 225), rng.randint(30, 225), rng.randint(30, 225))


def _description(rng: random.Random, name: str, with_table: bool) -> str:
    parts = [f"<p><strong>{name}</strong> made for every day.</p>"]
    for _ in range(rng.randint(0, 2)):
        parts.append(
            f"<p>{rng.choice(('Soft', 'Durable', 'Light', 'Handmade'))} and "
            f"{rng.choice(('easy to care for', 'built to last', 'gift-ready'))}.</p>"
        )
    if rng.random() < 0.5:
        parts.append("<ul><li>Free returns</li><li>Ships in 2 days</li></ul>")
    if with_table:
        parts.append(
            "<table><tr><th>Size</th><th>Chest (cm)</th></tr>"
            "<tr><td>S</td><td>92</td></tr><tr><td>M</td><td>100</td></tr></table>"
        )
    return "".join(parts)


def _images(rng: random.Random, flaw: str | None) -> list[dict[str, Any]]:
    count = rng.randint(1, 4)
    images = [asdict(GeneratedImage(s, s, _color(rng))) for s in (rng.choice(SQUARE_SIZES) for _ in range(count))]
    if flaw == FLAW_SMALL_IMAGE:
        side = rng.choice((300, 450, 500, 599))
        images[0] = asdict(GeneratedImage(side, side, _color(rng)))
    elif flaw == FLAW_NON_SQUARE_IMAGE:
        width = rng.choice((1200, 1600, 2000))
        images[0] = asdict(GeneratedImage(width, width // 2, _color(rng)))
    return images


def _combinations(
    rng: random.Random, sku: str, options: list[dict[str, Any]], base_price: Decimal
) -> list[dict[str, Any]]:
    combos: list[dict[str, Any]] = []
    values = [[c["text"] for c in o["choices"]] for o in options]
    for number, chosen in enumerate(itertools.product(*values), start=1):
        combo: dict[str, Any] = {
            "options": [{"name": o["name"], "value": v} for o, v in zip(options, chosen, strict=True)]
        }
        if rng.random() < 0.7:  # an own SKU, and with it (usually) an own stock
            combo["sku"] = f"{sku}-{number:02d}"
            roll = rng.random()
            if roll < 0.1:
                combo["unlimited"] = True
            elif roll < 0.9:
                combo["quantity"] = rng.choice((0, rng.randint(1, 60)))
        if rng.random() < 0.3:
            combo["price"] = base_price + Decimal(rng.choice(("1.00", "2.50", "5.00")))
        if rng.random() < 0.2:
            combo["weight"] = Decimal(f"0.{rng.randint(2, 9)}")
        if rng.random() < 0.15:
            combo["attributes"] = {"UPC": _upc(rng)}
        combos.append(combo)
    return combos


def _option(name: str, values: tuple[str, ...]) -> dict[str, Any]:
    return {
        "type": "SELECT",
        "name": name,
        "choices": [{"text": v, "priceModifier": 0} for v in values],
        "required": True,
    }


def _product(rng: random.Random, index: int, flaw: str | None) -> dict[str, Any]:
    leaf = rng.choice(tuple(LEAVES))
    noun = rng.choice(LEAVES[leaf])
    name = f"{rng.choice(ADJECTIVES)} {noun}"
    sku = f"SB-{index + 1:05d}"
    price = _money(rng, 3, 299)
    product_class = CLASS_OF_CATEGORY.get(leaf, "General")
    spec: dict[str, Any] = {
        "sku": sku,
        "name": name,
        "price": price,
        "enabled": rng.random() > 0.05,
        "description": _description(rng, name, with_table=flaw == FLAW_HTML_TABLE),
        "productClass": product_class,
        "categories": [leaf],
        "images": _images(rng, flaw),
        "weight": Decimal(f"{rng.randint(0, 4)}.{rng.randint(1, 9)}"),
        "dimensions": {
            "length": rng.randint(5, 60),
            "width": rng.randint(5, 40),
            "height": rng.randint(1, 30),
        },
        "options": [],
        "combinations": [],
    }
    if rng.random() < 0.25:
        other = rng.choice([c for c in LEAVES if c != leaf])
        spec["categories"].append(other)
    if rng.random() < 0.2:
        spec["compareToPrice"] = (price * Decimal(rng.choice(("1.2", "1.3", "1.5")))).quantize(Decimal("0.01"))

    attributes: dict[str, str] = {"Brand": rng.choice(BRANDS)}
    if rng.random() < 0.85 or flaw == FLAW_BAD_UPC:
        attributes["UPC"] = _bad_upc(rng) if flaw == FLAW_BAD_UPC else _upc(rng)
    if product_class == "Apparel":
        attributes["Material"] = rng.choice(MATERIALS)
    elif product_class == "Electronics":
        attributes["Warranty"] = rng.choice(("1 year", "2 years"))
    spec["attributes"] = attributes

    roll = rng.random()
    if flaw == FLAW_FOUR_OPTIONS:
        spec["options"] = [
            _option("Size", ("S", "M")),
            _option("Color", ("Black", "White")),
            _option("Material", ("Cotton", "Linen")),
            _option("Fit", ("Regular", "Slim")),
        ]
        spec["combinations"] = _combinations(rng, sku, spec["options"], price)
    elif roll < 0.35:
        sizes = SIZES[: rng.randint(2, 4)]
        options = [_option("Size", sizes)]
        if rng.random() < 0.6:
            options.append(_option("Color", tuple(rng.sample(COLORS, rng.randint(2, 3)))))
        spec["options"] = options
        spec["combinations"] = _combinations(rng, sku, options, price)
    elif roll < 0.43:
        # A price-modifier-only option: changes the price, makes no SKU.
        spec["options"] = [
            {
                "type": "RADIO",
                "name": "Gift wrap",
                "required": False,
                "choices": [
                    {"text": "No", "priceModifier": 0, "priceModifierType": "ABSOLUTE"},
                    {"text": "Yes", "priceModifier": Decimal("2.50"), "priceModifierType": "ABSOLUTE"},
                ],
            }
        ]

    stock_roll = rng.random()
    if stock_roll < 0.1:
        spec["unlimited"] = True
    else:
        spec["quantity"] = 0 if stock_roll < 0.18 else rng.randint(1, 250)

    if flaw == FLAW_NO_CATEGORY:
        spec["categories"] = []
    if flaw == FLAW_NO_WEIGHT:
        del spec["weight"]
    return spec


def generate_catalog(n: int, seed: int = 0) -> Catalog:
    """``n`` products reproducible from ``seed`` (same arguments, same catalog, byte for byte)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    rng = random.Random(seed)
    flawed_count = round(n * FLAWED_SHARE)
    flawed_indices = sorted(rng.sample(range(n), flawed_count)) if n else []
    kinds = list(FLAWS)
    rng.shuffle(kinds)
    flaw_of = {index: kinds[i % len(kinds)] for i, index in enumerate(flawed_indices)}

    catalog = Catalog(
        seed=seed,
        categories=[{"name": name, "parent": parent} for name, parent in CATEGORIES],
        product_classes={
            name: [{"name": a, "type": t} for a, t in attributes] for name, attributes in PRODUCT_CLASSES.items()
        },
    )
    for index in range(n):
        flaw = flaw_of.get(index)
        catalog.products.append(
            GeneratedProduct(index=index, spec=_product(rng, index, flaw), flaws=(flaw,) if flaw else ())
        )
    return catalog
