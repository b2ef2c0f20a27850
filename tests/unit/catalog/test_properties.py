"""Properties: validate and transform never crash; whatever validate lets through, the
sandbox's own listing rules accept."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from connector.catalog.settings import (
    IdentifierKind,
    ListingContext,
    PackageDefaults,
    PriceRule,
    StockRule,
    SyncSettings,
)
from connector.catalog.transform import ListingRejected, to_product_input
from connector.catalog.validate import blocking, validate
from connector.stores.protocol import Dimensions, Stock, StoreImage, StoreOption, StoreProduct, StoreVariant
from local.sandbox_tiktok import catalog
from local.sandbox_tiktok.state import REGION_CURRENCY

from .builders import EAN_8, EAN_13, GTIN_14, ISBN_13, NOW, UPC, UPC_2, WAREHOUSE, hosted_for, listing_for
from .builders import sandbox_problems as sandbox_check
from .builders import uris_for as uploads

KINDS: list[IdentifierKind] = ["GTIN", "UPC", "EAN", "ISBN"]
REGIONS = ("US", "GB", "BR", "MY", "JP", "DE", "MX")
LEAVES = [n for n in catalog.NODES if catalog.is_leaf(n) and not n.invite_only]

words = st.text(
    alphabet=st.sampled_from("abcdefghij klmnopqrstuvwxyzABCXYZ0123456789-&<>'\"é中\U0001f600\t\n"), max_size=40
)
friendly = st.text(alphabet=st.sampled_from("abcdefgh ijklmnop ABCD 0123-"), min_size=1, max_size=30)
TAGS = (
    "<p>", "</p>", "<ul>", "</ul>", "<ol>", "<li>", "</li>", "<br>", "<br/>", "<b>", "</b>", "<div>", "</div>",
    "<table>", "<tr>", "<td>", "</td>", "</tr>", "</table>", "<script>var x = '<p>';</script>", "<style>p{}</style>",
    '<img src="https://store.example/d1.jpg">', '<img src="//store.example/d2.png">', "<img>", "&amp;", "&nbsp;",
    "<!-- c -->", "<h1>", "</h1>", "<a href='x'>", "</a>", "<",
)  # fmt: skip
html = st.lists(st.one_of(st.sampled_from(TAGS), words), max_size=25).map("".join)
gtins = st.one_of(
    st.none(), st.sampled_from([UPC, UPC_2, EAN_8, EAN_13, ISBN_13, GTIN_14, UPC[:11], "0360 0029 1452", ""]), words
)
prices = st.decimals(min_value=Decimal("-5"), max_value=Decimal("100000"), places=3, allow_nan=False)
positive = st.decimals(min_value=Decimal("-1"), max_value=Decimal("500"), places=2, allow_nan=False)
stocks = st.one_of(
    st.builds(Stock.counted, st.integers(-10, 150_000)),
    st.just(Stock.unlimited_stock()),
    st.builds(Stock, tracked=st.booleans(), unlimited=st.booleans(), quantity=st.none() | st.integers(-5, 100)),
)
dimensions = st.none() | st.builds(Dimensions, length=positive, width=positive, height=positive)
image_urls = st.sampled_from([f"https://store.example/{n}.jpg" for n in range(12)])
images = st.lists(
    st.builds(
        StoreImage,
        url=image_urls,
        is_main=st.booleans(),
        width=st.none() | st.integers(1, 6000),
        height=st.none() | st.integers(1, 6000),
    ),
    max_size=11,
)


@st.composite
def products(draw: st.DrawFn, *, tame: bool = False) -> StoreProduct:
    """Any product; ``tame`` ones are mostly listable, so property (b) sees many passing."""
    name = (
        st.sampled_from(["Size", "Color", "Material"])
        if tame
        else st.sampled_from(
            ["Size", "Color", "size ", "Material", "Style", "Fit", "", "A very long option name indeed"]
        )
    )
    option_names = draw(st.lists(name, min_size=1 if tame else 0, max_size=3 if tame else 5, unique=True))
    value = st.sampled_from(["S", "M", "L", "Red", "Blue"]) if tame else st.one_of(words, st.sampled_from(["S", "s"]))
    weights = st.decimals(Decimal("0.01"), Decimal("30"), places=2) if tame else positive
    sides = st.decimals(Decimal("0.5"), Decimal("120"), places=1)
    boxes = st.builds(Dimensions, length=sides, width=sides, height=sides) if tame else dimensions
    count = draw(st.integers(1, 4 if tame else 6))
    variants = []
    for index in range(count):
        key = f"v{index}"
        variants.append(
            StoreVariant(
                key=key,
                product_id="p",
                stock_key=draw(st.sampled_from([key, "p"])),
                sku=draw(st.none() | (st.from_regex(r"[A-Z0-9\-]{1,20}", fullmatch=True) if tame else words)),
                gtin=draw(st.none() | st.sampled_from([UPC, EAN_13, GTIN_14]) if tame else gtins),
                price=draw(st.decimals(Decimal("0.5"), Decimal("999"), places=2) if tame else prices),
                compare_at=draw(st.none() | prices),
                stock=draw(stocks),
                weight=draw(st.none() | weights),
                dimensions=draw(st.none() | boxes),
                option_values={
                    n: (f"{draw(value)} {index}" if tame and position == 0 else draw(value))
                    for position, n in enumerate(option_names)
                    if tame or draw(st.booleans())
                },
                image_url=draw(st.none() | image_urls),
            )
        )
    return StoreProduct(
        ext_id="p",
        title=draw(
            st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFG0123456789-", min_size=25, max_size=80)
            if tame
            else words
        ),
        description_html=draw(html),
        images=tuple(draw(images.filter(bool) if tame else images)),
        updated_at=NOW,
        options=tuple(StoreOption(name=n, values=("S", "M")) for n in option_names),
        variants=tuple(variants),
        attributes=draw(st.dictionaries(friendly, friendly, max_size=3)),
    )


@st.composite
def contexts(draw: st.DrawFn, *, tame: bool = False) -> tuple[ListingContext, SyncSettings]:
    region = draw(st.sampled_from(REGIONS))
    node = draw(st.sampled_from(LEAVES))
    listing = listing_for(node, region, fill=tame or draw(st.booleans()))
    if not tame and draw(st.booleans()):
        listing = ListingContext(category_id=None)
    unit = draw(st.sampled_from(["kg", "g", "lb", "oz"]))
    some = st.decimals(Decimal("0.1"), Decimal("50"), places=1) if tame else st.none() | positive
    defaults = PackageDefaults(
        weight=draw(some),
        weight_unit=draw(st.sampled_from(["kg", "g", "lb", "oz", "ct"])),
        length=draw(some),
        width=draw(some),
        height=draw(some),
        dimension_unit=draw(st.sampled_from(["cm", "mm", "m", "in", "yd"])),
    )
    priority: tuple[IdentifierKind, ...] = tuple(draw(st.permutations(KINDS))[: draw(st.integers(0, 4))])
    sync = SyncSettings(
        region=region,
        currency=REGION_CURRENCY[region],
        warehouse_id=WAREHOUSE,
        store_weight_unit=unit,
        store_dimension_unit="in" if unit in ("lb", "oz") else draw(st.sampled_from(["cm", "mm", "m"])),
        package=defaults,
        price=PriceRule(
            source=draw(st.sampled_from(["price", "compare_at"])),
            percent=draw(st.decimals(Decimal("-60") if not tame else Decimal("-30"), Decimal("200"), places=2)),
            fixed=draw(st.decimals(Decimal("-10") if not tame else Decimal("0"), Decimal("10"), places=2)),
            rounding=draw(st.sampled_from(["none", "whole", ".99", ".95"])),
        ),
        stock=StockRule(
            unlimited_quantity=draw(st.integers(0, 500) if tame else st.integers(-5, 200_000)),
            reserve_percent=draw(st.decimals(Decimal("0"), Decimal("100"), places=1)),
            reserve_fixed=draw(st.integers(0, 20)),
        ),
        identifier_priority=priority,
    )
    return listing, sync


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(products(), contexts())
def test_validate_and_transform_never_crash(product: StoreProduct, ctx: tuple[ListingContext, SyncSettings]) -> None:
    listing, sync = ctx
    problems = validate(product, listing, sync)
    assert all(p.code and p.message for p in problems)
    try:
        body = to_product_input(product, listing, sync, uploads(product), hosted_for([]))
    except ListingRejected as rejected:
        assert rejected.problems and all(p.blocking for p in rejected.problems)
        assert {p.code for p in rejected.problems} >= {p.code for p in blocking(problems)}
    else:
        assert not blocking(problems)
        body.wire()


def _passes_sandbox(product: StoreProduct, listing: ListingContext, sync: SyncSettings, *, require: bool) -> None:
    problems = blocking(validate(product, listing, sync))
    event("blocked" if problems else "listable")
    # tame inputs must mostly be listable: assume() makes Hypothesis fail if too few are
    assume(not (require and problems))
    if problems:
        return
    uris = uploads(product)
    hosted = hosted_for(["https://store.example/d1.jpg", "https://store.example/d2.png"])
    body = to_product_input(product, listing, sync, uris, hosted).wire()
    assert sandbox_check(body, sync.region, uris.values()) == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(products(tame=True), contexts(tame=True))
def test_whatever_validate_accepts_the_sandbox_accepts(
    product: StoreProduct, ctx: tuple[ListingContext, SyncSettings]
) -> None:
    _passes_sandbox(product, *ctx, require=True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(products(), contexts())
def test_whatever_validate_accepts_the_sandbox_accepts_wild_inputs(
    product: StoreProduct, ctx: tuple[ListingContext, SyncSettings]
) -> None:
    _passes_sandbox(product, *ctx, require=False)
