"""The sandbox's reference data: a small but realistic category tree (v1 and v2 ids, parents,
leaves, invite-only leaves), attributes per leaf (some required), brands, category rules, and
the keyword matcher behind recommend-category."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Node:
    v1: str
    v2: str
    name: str
    parent_v1: str | None
    keywords: tuple[str, ...] = ()
    invite_only: bool = False
    kind: str = "general"  # which attribute set the leaf uses

    def id(self, version: str) -> str:
        return self.v2 if version == "v2" else self.v1


# (v1 id, v2 id, name, parent v1 id, keywords, invite only, attribute kind)
_TREE: list[tuple[str, str, str, str | None, str, bool, str]] = [
    ("601152", "1000152", "Womenswear & Underwear", None, "", False, ""),
    ("842248", "1002248", "Women's Tops", "601152", "", False, ""),
    ("601302", "1000302", "T-shirts", "842248", "t-shirt tee tshirt top cotton crew", False, "apparel"),
    ("601265", "1000265", "Blouses & Shirts", "842248", "blouse shirt button", False, "apparel"),
    (
        "601213",
        "1000213",
        "Hoodies & Sweatshirts",
        "842248",
        "hoodie sweatshirt pullover fleece",
        False,
        "apparel",
    ),
    ("601188", "1000188", "Dresses", "601152", "dress maxi midi gown", False, "apparel"),
    ("824328", "1004328", "Menswear & Underwear", None, "", False, ""),
    ("601295", "1000295", "Men's T-shirts", "824328", "men mens t-shirt tee", False, "apparel"),
    ("601307", "1000307", "Men's Jeans", "824328", "jeans denim trousers", False, "apparel"),
    ("600001", "1000001", "Home Supplies", None, "", False, ""),
    (
        "600942",
        "1000942",
        "Home Organizers",
        "600001",
        "storage organizer box basket shelf",
        False,
        "general",
    ),
    ("600945", "1000945", "Candles & Holders", "600001", "candle scented wax holder", False, "general"),
    ("600024", "1000024", "Kitchenware", None, "", False, ""),
    ("600039", "1000039", "Drinkware", "600024", "mug cup tumbler bottle glass", False, "kitchen"),
    ("600062", "1000062", "Cookware", "600024", "pan pot skillet wok cookware", False, "kitchen"),
    ("601450", "1001450", "Beauty & Personal Care", None, "", False, ""),
    ("601490", "1001490", "Skincare", "601450", "serum cream moisturizer cleanser skincare", False, "beauty"),
    ("601530", "1001530", "Fragrance", "601450", "perfume fragrance cologne", True, "beauty"),
    ("601739", "1001739", "Phones & Electronics", None, "", False, ""),
    ("601755", "1001755", "Phone Cases", "601739", "case phone iphone cover", False, "electronics"),
    (
        "601776",
        "1001776",
        "Headphones",
        "601739",
        "headphones earbuds earphones headset",
        False,
        "electronics",
    ),
    ("601801", "1001801", "Mobile Phones", "601739", "smartphone mobile phone unlocked", True, "electronics"),
    ("604206", "1004206", "Toys & Hobbies", None, "", False, ""),
    (
        "604215",
        "1004215",
        "Building Blocks",
        "604206",
        "blocks bricks building construction lego",
        False,
        "toys",
    ),
    ("604231", "1004231", "Plush Toys", "604206", "plush stuffed teddy soft toy", False, "toys"),
    ("953224", "1053224", "Jewelry Accessories", None, "", False, ""),
    ("953240", "1053240", "Fashion Necklaces", "953224", "necklace pendant chain", False, "jewelry"),
    ("953250", "1053250", "Fine Jewelry Rings", "953224", "ring gold diamond silver fine", True, "jewelry"),
    ("603014", "1003014", "Sports & Outdoor", None, "", False, ""),
    ("603050", "1003050", "Yoga Mats", "603014", "yoga mat pilates exercise", False, "general"),
    ("603071", "1003071", "Water Bottles", "603014", "water bottle sports hydration flask", False, "kitchen"),
]

NODES: list[Node] = [
    Node(v1, v2, name, parent, tuple(words.split()), invite, kind)
    for v1, v2, name, parent, words, invite, kind in _TREE
]
_BY_V1 = {n.v1: n for n in NODES}
_BY_V2 = {n.v2: n for n in NODES}
_PARENTS = {n.parent_v1 for n in NODES if n.parent_v1}

#: The leaf recommend-category falls back to when nothing matches.
FALLBACK_LEAF_V1 = "600942"


def is_leaf(node: Node) -> bool:
    return node.v1 not in _PARENTS


def find(category_id: str) -> tuple[Node, str] | None:
    """The node and the version its id belongs to."""
    if category_id in _BY_V1:
        return _BY_V1[category_id], "v1"
    if category_id in _BY_V2:
        return _BY_V2[category_id], "v2"
    return None


def parent(node: Node) -> Node | None:
    return _BY_V1.get(node.parent_v1) if node.parent_v1 else None


def chain(node: Node) -> list[Node]:
    path = [node]
    while (up := parent(path[0])) is not None:
        path.insert(0, up)
    return path


def category_json(node: Node, version: str) -> dict[str, Any]:
    up = parent(node)
    return {
        "id": node.id(version),
        "parent_id": up.id(version) if up else "0",
        "local_name": node.name,
        "is_leaf": is_leaf(node),
        "permission_statuses": ["INVITE_ONLY"] if node.invite_only else ["AVAILABLE"],
    }


def categories(version: str, keyword: str | None = None) -> list[dict[str, Any]]:
    found = [n for n in NODES if not keyword or keyword.lower() in n.name.lower()]
    return [category_json(n, version) for n in found]


# --- attributes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribute:
    id: str
    name: str
    type: str  # SALES_PROPERTY | PRODUCT_PROPERTY
    required: bool = False
    values: tuple[tuple[str, str], ...] = ()
    multiple: bool = False
    customizable: bool = True

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "is_requried": self.required,  # sic: TikTok's spelling
            "is_multiple_selection": self.multiple,
            "is_customizable": self.customizable,
            "values": [{"id": vid, "name": vname} for vid, vname in self.values],
            "requirement_conditions": [],
        }


COLOR = Attribute(
    "100000",
    "Color",
    "SALES_PROPERTY",
    values=(("1001", "Black"), ("1002", "White"), ("1003", "Red"), ("1004", "Blue"), ("1005", "Green")),
)
SIZE = Attribute(
    "100007",
    "Size",
    "SALES_PROPERTY",
    values=(("2001", "XS"), ("2002", "S"), ("2003", "M"), ("2004", "L"), ("2005", "XL")),
)
STYLE = Attribute("100016", "Style", "SALES_PROPERTY")
CAPACITY = Attribute("100031", "Capacity", "SALES_PROPERTY")

_ATTRIBUTES: dict[str, list[Attribute]] = {
    "apparel": [
        COLOR,
        SIZE,
        STYLE,
        Attribute(
            "101610",
            "Material",
            "PRODUCT_PROPERTY",
            required=True,
            values=(("3001", "Cotton"), ("3002", "Polyester"), ("3003", "Linen"), ("3004", "Wool")),
            multiple=True,
        ),
        Attribute("101619", "Pattern", "PRODUCT_PROPERTY", values=(("3101", "Solid"), ("3102", "Striped"))),
        Attribute("101622", "Season", "PRODUCT_PROPERTY", values=(("3201", "All seasons"), ("3202", "Summer"))),
    ],
    "kitchen": [
        COLOR,
        CAPACITY,
        Attribute(
            "101700",
            "Material",
            "PRODUCT_PROPERTY",
            required=True,
            values=(("3301", "Stainless steel"), ("3302", "Ceramic"), ("3303", "Glass"), ("3304", "Plastic")),
        ),
        Attribute("101705", "Dishwasher safe", "PRODUCT_PROPERTY", values=(("3401", "Yes"), ("3402", "No"))),
    ],
    "beauty": [
        CAPACITY,
        Attribute("101800", "Skin type", "PRODUCT_PROPERTY", values=(("3501", "All"), ("3502", "Dry"))),
        Attribute("101805", "Ingredients", "PRODUCT_PROPERTY", required=True),
    ],
    "electronics": [
        COLOR,
        STYLE,
        Attribute(
            "101900",
            "Warranty type",
            "PRODUCT_PROPERTY",
            required=True,
            values=(("3601", "No warranty"), ("3602", "Manufacturer warranty")),
        ),
        Attribute("101905", "Battery type", "PRODUCT_PROPERTY", values=(("3701", "Lithium ion"), ("3702", "None"))),
    ],
    "toys": [
        COLOR,
        Attribute(
            "102000",
            "Age range",
            "PRODUCT_PROPERTY",
            required=True,
            values=(("3801", "3-5 years"), ("3802", "6-8 years"), ("3803", "9+ years")),
        ),
        Attribute("102005", "Material", "PRODUCT_PROPERTY", values=(("3901", "Plastic"), ("3902", "Plush"))),
    ],
    "jewelry": [
        COLOR,
        SIZE,
        Attribute(
            "102100",
            "Metal type",
            "PRODUCT_PROPERTY",
            required=True,
            values=(("4001", "Stainless steel"), ("4002", "Sterling silver"), ("4003", "Alloy")),
        ),
    ],
    "general": [
        COLOR,
        STYLE,
        Attribute("102200", "Material", "PRODUCT_PROPERTY", values=(("4101", "Plastic"), ("4102", "Wood"))),
    ],
}


def attributes(node: Node) -> list[Attribute]:
    return list(_ATTRIBUTES.get(node.kind, []))


# --- rules -----------------------------------------------------------------------------

#: Leaves whose listings need a certification (qualification) id.
CERTIFICATIONS: dict[str, dict[str, Any]] = {
    "toys": {"id": "7000001", "name": "Children's Product Certificate (CPC)", "is_required": True},
    "beauty": {"id": "7000002", "name": "Cosmetic safety report", "is_required": False},
}


def rules(node: Node) -> dict[str, Any]:
    cert = CERTIFICATIONS.get(node.kind)
    return {
        "product_certifications": [cert] if cert else [],
        "size_chart": {"is_supported": node.kind == "apparel", "is_required": False},
        "package_dimension": {"is_required": True},
        "cod": {"is_supported": False},
    }


# --- brands ------------------------------------------------------------------------------


@dataclass
class Brand:
    id: str
    name: str
    authorized: bool = True
    t1: bool = False
    kinds: tuple[str, ...] = ()  # attribute kinds (category families) it can list in; () = any
    custom: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "authorized_status": "AUTHORIZED" if self.authorized else "UNAUTHORIZED",
            "brand_status": "AVAILABLE",
            "is_t1_brand": self.t1,
        }


def default_brands() -> list[Brand]:
    return [
        Brand("7082427311584347905", "Acme Basics"),
        Brand("7082427311584347906", "Northwind Home", kinds=("general", "kitchen")),
        Brand("7082427311584347907", "Lumen Audio", kinds=("electronics",)),
        Brand("7082427311584347908", "Brickworks", kinds=("toys",)),
        Brand("7082427311584347909", "Glow Lab", kinds=("beauty",)),
        Brand("7082427311584347910", "Apple", authorized=False, t1=True, kinds=("electronics",)),
        Brand("7082427311584347911", "Nike", authorized=False, t1=True, kinds=("apparel",)),
        Brand("7082427311584347912", "Luna Threads", kinds=("apparel", "jewelry")),
    ]


# --- recommend category -------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9][a-z0-9\-]*")


def recommend(text: str) -> Node:
    """The available leaf whose keywords best match ``text`` (a plausible suggestion)."""
    words = set(_WORD.findall(text.lower()))
    words |= {w.rstrip("s") for w in words}
    best: tuple[int, Node] | None = None
    for node in NODES:
        if not is_leaf(node) or node.invite_only:
            continue
        score = sum(1 for k in node.keywords if k in words)
        if score and (best is None or score > best[0]):
            best = (score, node)
    return best[1] if best else _BY_V1[FALLBACK_LEAF_V1]
