"""Category mappings: a TikTok category suggested for each store category, its rules and required
attributes described, and what the merchant filled in applied to a product's listing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connector.catalog.context import Catalog
from connector.catalog.records import (
    AttributeFill,
    CategoryMapping,
    ListingFill,
    ProductRecord,
)

if TYPE_CHECKING:
    from connector.catalog.settings import ListingContext
    from connector.stores.protocol import StoreProduct


def ensure_mappings(cat: Catalog) -> list[CategoryMapping]:
    """A suggested mapping for every store category in use that has none yet (TikTok's
    recommend-category with the category's name and product titles), with what TikTok requires
    there (attributes, certifications) and whether it is invitation-only."""
    mapped = {m.store_category_id: m for m in cat.products.mappings(cat.connection_id)}
    titles: dict[str, list[str]] = {}
    for record in cat.products.all(cat.connection_id):
        if record.store_category_id and not record.deleted:
            titles.setdefault(record.store_category_id, []).append(record.title)
    missing = [cid for cid in sorted(titles) if cid not in mapped or mapped[cid].tiktok_category_id is None]
    if not missing:
        return []
    names = {c.ext_id: c.name for c in cat.store.list_categories()}
    made = []
    for category_id in missing:
        name = names.get(category_id, "")
        text = " ".join([name, *titles[category_id][:5]])[:250] or name or "product"
        recommended = cat.tiktok.recommend_category(cat.shop_ref, text, category_version=cat.category_version)
        mapping = describe_category(cat, CategoryMapping(
            connection_id=cat.connection_id, store_category_id=category_id, store_category_name=name,
            product_count=len(titles[category_id]), source="suggested"), str(recommended.leaf_category_id))
        cat.products.put_mapping(mapping)
        made.append(mapping)
    return made


def describe_category(cat: Catalog, mapping: CategoryMapping, tiktok_category_id: str) -> CategoryMapping:
    """``mapping`` pointed at a TikTok category, with that category's requirements read from TikTok.
    ``ValueError`` when TikTok does not list it as a leaf category."""
    if cat._categories is None:
        cat._categories = {c.id: c for c in cat.tiktok.get_categories(cat.shop_ref,
                                                                    category_version=cat.category_version)}
    node = cat._categories.get(tiktok_category_id)
    if node is None or not node.is_leaf:
        raise ValueError(f"{tiktok_category_id} is not a TikTok leaf category of this shop")
    attributes = cat.tiktok.get_attributes(cat.shop_ref, tiktok_category_id, category_version=cat.category_version)
    rules = cat.tiktok.get_category_rules(cat.shop_ref, tiktok_category_id, category_version=cat.category_version)
    sales = {(a.name or "").strip().lower(): {"id": str(a.id), "values": {(v.name or "").lower(): str(v.id)
                                                                          for v in a.values}}
             for a in attributes if a.type == "SALES_PROPERTY" and a.name}
    return mapping.model_copy(update={
        "tiktok_category_id": tiktok_category_id, "tiktok_category_name": node.local_name,
        "invite_only": "INVITE_ONLY" in node.permission_statuses and "AVAILABLE" not in node.permission_statuses,
        "category_version": cat.category_version,
        "required_attributes": {str(a.id): a.name or str(a.id) for a in attributes
                                if a.type == "PRODUCT_PROPERTY" and a.is_required},
        "attributes": {str(a.id): {"name": a.name or "", "values": {(v.name or "").lower(): str(v.id)
                                                                             for v in a.values}}
                                for a in attributes if a.type == "PRODUCT_PROPERTY"},
        "sales_attributes": sales,
        "required_certifications": {str(c.get("id")): str(c.get("name") or c.get("id"))
                                    for c in rules.product_certifications if c.get("is_required")},
        "updated_at": cat.now()})


def listing_fill(mapping: CategoryMapping | None, record: ProductRecord, product: StoreProduct) -> ListingFill:
    """What fills the listing: the category's (bulk), then the store product's own attributes
    where their names match TikTok's, then the product's own fill (each wins over the previous)."""
    values: dict[str, list[AttributeFill]] = {}
    brand_id = None
    certifications: list[dict[str, Any]] = []
    size_chart = None
    if mapping is not None:
        values.update(mapping.fill.attribute_values)
        brand_id, certifications, size_chart = mapping.fill.brand_id, list(mapping.fill.certifications), \
            mapping.fill.size_chart_uri
        by_name = {str(spec.get("name", "")).strip().lower(): (attr_id, spec)
                   for attr_id, spec in mapping.attributes.items()}
        for name, value in product.attributes.items():
            found = by_name.get(name.strip().lower())
            if found is None or not value.strip() or found[0] in values:
                continue
            attr_id, spec = found
            value_id = dict(spec.get("values") or {}).get(value.strip().lower())
            values[attr_id] = [AttributeFill(id=value_id) if value_id else AttributeFill(name=value.strip()[:200])]
    if record.fill is not None:
        values.update(record.fill.attribute_values)
        brand_id = record.fill.brand_id or brand_id
        certifications = record.fill.certifications or certifications
        size_chart = record.fill.size_chart_uri or size_chart
    return ListingFill(attribute_values=values, brand_id=brand_id, certifications=certifications,
                       size_chart_uri=size_chart)


def listing_context(cat: Catalog, mapping: CategoryMapping | None, record: ProductRecord, product: StoreProduct,
                    failed_images: dict[str, str] | None = None) -> ListingContext:
    from connector.catalog.settings import AttributeValue, ListingContext, SalesAttributeSpec

    category_id = record.category_override or (mapping.tiktok_category_id if mapping else None)
    fill = listing_fill(mapping, record, product)
    same_category = mapping is not None and category_id == mapping.tiktok_category_id
    return ListingContext(
        category_id=category_id,
        category_version=(mapping.category_version if mapping and same_category else None)
        or cat.category_version,  # type: ignore[arg-type]
        required_attributes=mapping.required_attributes if mapping and same_category else {},
        attribute_values={k: tuple(AttributeValue(id=v.id, name=v.name) for v in vs)
                          for k, vs in fill.attribute_values.items()},
        required_certifications=mapping.required_certifications if mapping and same_category else {},
        certifications=tuple(fill.certifications),
        brand_id=fill.brand_id,
        failed_images=failed_images or {},
        sales_attributes={name: SalesAttributeSpec(id=str(spec["id"]), values=dict(spec.get("values") or {}))
                          for name, spec in (mapping.sales_attributes.items() if mapping and same_category else ())},
    )
