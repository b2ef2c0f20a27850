"""The sandbox Ecwid's catalog writes: categories, product classes, images, products,
combinations, the seeded catalog, and stock (which combination holds it, inventory changes)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from local.sandbox_ecwid.args import ApiError, decimal_value, int_value
from local.sandbox_ecwid.catalog import Catalog
from local.sandbox_ecwid.core import StateCore
from local.sandbox_ecwid.model import (
    SeededProduct,
    Store,
)


class ProductState(StateCore):
    def add_category(self, store_id: int, name: str, parent_id: int = 0) -> int:
        with self.lock:
            store = self.store(store_id)
            if parent_id and parent_id not in store.categories:
                raise ApiError(400, f"Parent category {parent_id} not found", "INVALID_VALUE")
            cid = self._next_id()
            store.categories[cid] = {
                "id": cid,
                "parentId": parent_id,
                "name": name,
                "enabled": True,
                "orderBy": len(store.categories) * 10,
            }
            return cid

    def _class_attributes(self, store: Store, product_class: dict[str, Any], attributes: list[dict[str, str]]) -> None:
        for attribute in attributes:
            product_class["attributes"].append(
                {
                    "id": self._next_id(),
                    "name": attribute["name"],
                    "type": attribute.get("type", "CUSTOM"),
                    "show": "DESCR",
                }
            )

    def add_product_class(self, store_id: int, name: str, attributes: list[dict[str, str]]) -> int:
        with self.lock:
            store = self.store(store_id)
            class_id = self._next_id()
            product_class: dict[str, Any] = {"id": class_id, "name": name, "attributes": []}
            self._class_attributes(store, product_class, attributes)
            store.classes[class_id] = product_class
            return class_id

    def image(self, store_id: int, image_id: int) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            found = store.images.get(image_id)
            if found is None:
                raise ApiError(404, "Image not found", "NOT_FOUND")
            return found

    def _add_images(self, store: Store, images: Iterable[Mapping[str, Any]]) -> list[int]:
        ids = []
        for spec in images:
            image_id = self._next_id()
            color = spec.get("color") or (128, 128, 128)
            store.images[image_id] = {
                "width": int(spec["width"]),
                "height": int(spec["height"]),
                "color": tuple(color),
            }
            ids.append(image_id)
        return ids

    def _image_url(self, store: Store, image_id: int) -> str:
        return f"{self.public_url}/images/{store.id}/{image_id}.png"

    # ------------------------------------------------------------------------------------------
    # catalog: products
    # ------------------------------------------------------------------------------------------

    def _resolve_categories(self, store: Store, spec: Mapping[str, Any]) -> list[int]:
        if "categoryIds" in spec:
            ids = [int_value(c, "categoryIds") for c in spec["categoryIds"] or []]
            for cid in ids:
                if cid not in store.categories:
                    raise ApiError(400, f"Category {cid} not found", "INVALID_VALUE")
            return ids
        by_name = {c["name"]: cid for cid, c in store.categories.items()}
        return [by_name[n] for n in spec.get("categories", []) if n in by_name]

    def _resolve_class(self, store: Store, spec: Mapping[str, Any]) -> int:
        if "productClassId" in spec:
            class_id = int_value(spec["productClassId"], "productClassId")
            if class_id not in store.classes:
                raise ApiError(400, f"Product class {class_id} not found", "INVALID_VALUE")
            return class_id
        name = spec.get("productClass")
        return next((cid for cid, c in store.classes.items() if c["name"] == name), 0)

    def _attribute_values(self, store: Store, class_id: int, raw: Any, current: dict[str, str]) -> dict[str, str]:
        """``raw``: ``{name: value}`` or Ecwid's ``[{id|name|alias, value}]``."""
        values = dict(current)
        attributes = store.classes[class_id]["attributes"]
        entries = raw.items() if isinstance(raw, Mapping) else []
        if isinstance(raw, list):
            resolved = []
            for entry in raw:
                match = None
                for attribute in attributes:
                    by_id = entry.get("id") is not None and attribute["id"] == int_value(entry["id"], "attribute id")
                    by_name = bool(entry.get("name")) and attribute["name"] == entry["name"]
                    by_alias = bool(entry.get("alias")) and attribute["type"] == str(entry["alias"]).upper()
                    if by_id or by_name or by_alias:
                        match = attribute
                        break
                if match is None:
                    raise ApiError(400, "Unknown product attribute", "INVALID_VALUE")
                resolved.append((match["name"], entry.get("value")))
            entries = resolved
        for name, value in entries:
            if value in (None, ""):
                values.pop(name, None)
            else:
                values[name] = str(value)
        return values

    def _new_combination(self, product: dict[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
        options = [{"name": str(o["name"]), "value": str(o["value"])} for o in spec.get("options", [])]
        if not options:
            raise ApiError(400, "Combination options are required", "INVALID_VALUE")
        wanted = {(o["name"], o["value"]) for o in options}
        for existing in product["combinations"]:
            if {(o["name"], o["value"]) for o in existing["options"]} == wanted:
                raise ApiError(409, "This options variation already exists", "DUPLICATE")
        combo: dict[str, Any] = {
            "id": self._next_id(),
            "combinationNumber": len(product["combinations"]) + 1,
            "options": options,
        }
        self._apply_combination_fields(product, combo, spec)
        # Options named by a combination exist on the product (created as drop-downs).
        for option in options:
            declared = next((o for o in product["options"] if o["name"] == option["name"]), None)
            if declared is None:
                declared = {"type": "SELECT", "name": option["name"], "choices": [], "required": True}
                product["options"].append(declared)
            if option["value"] not in [c["text"] for c in declared["choices"]]:
                declared["choices"].append({"text": option["value"], "priceModifier": 0})
        return combo

    def _apply_combination_fields(
        self, product: dict[str, Any], combo: dict[str, Any], spec: Mapping[str, Any]
    ) -> None:
        if "sku" in spec:
            if spec["sku"]:
                combo["sku"] = str(spec["sku"])
            else:
                combo.pop("sku", None)
        if "price" in spec:
            if spec["price"] is None:
                combo.pop("price", None)
            else:
                combo["price"] = decimal_value(spec["price"], "price")
        if "weight" in spec:
            if spec["weight"] is None:
                combo.pop("weight", None)
            else:
                combo["weight"] = decimal_value(spec["weight"], "weight")
        if "attributes" in spec:
            raw = spec["attributes"]
            upc = (
                raw.get("UPC")
                if isinstance(raw, Mapping)
                else next(
                    (
                        a.get("value")
                        for a in raw
                        if str(a.get("alias") or a.get("name") or a.get("type")).upper() == "UPC"
                    ),
                    None,
                )
            )
            if upc:
                combo["attributes"] = {"UPC": str(upc)}
            else:
                combo.pop("attributes", None)
        if spec.get("unlimited") is True:
            if combo.get("sku"):
                combo["unlimited"] = True
                combo.pop("quantity", None)
            else:
                product["unlimited"], product["quantity"] = True, None
        elif "quantity" in spec and spec["quantity"] is not None:
            quantity = max(0, int_value(spec["quantity"], "quantity"))
            if combo.get("sku"):
                combo["quantity"], combo["unlimited"] = quantity, False
            else:  # no own SKU: the stock is the product's (assumed)
                product["quantity"], product["unlimited"] = quantity, False
        elif spec.get("unlimited") is False and combo.get("unlimited"):
            combo["unlimited"], combo["quantity"] = False, 0

    def add_product(self, store_id: int, spec: Mapping[str, Any], *, notify: bool = True) -> int:
        """A product from an Ecwid-shaped spec (ids or names for categories and class, images as
        ``{width, height, color}``, combinations inline with their own fields only)."""
        with self.lock:
            store = self.store(store_id)
            if not spec.get("name"):
                raise ApiError(400, "Product name is required", "INVALID_VALUE")
            now = self.now()
            pid = self._next_id()
            class_id = self._resolve_class(store, spec)
            categories = self._resolve_categories(store, spec)
            unlimited = spec.get("unlimited") is True
            product: dict[str, Any] = {
                "id": pid,
                "sku": str(spec.get("sku") or f"{pid:05d}"),
                "name": str(spec["name"]),
                "price": decimal_value(spec.get("price", 0), "price"),
                "compareToPrice": decimal_value(spec["compareToPrice"], "compareToPrice")
                if spec.get("compareToPrice")
                else None,
                "unlimited": unlimited,
                "quantity": None if unlimited else max(0, int_value(spec.get("quantity", 0), "quantity")),
                "weight": decimal_value(spec["weight"], "weight") if spec.get("weight") is not None else None,
                "dimensions": dict(spec["dimensions"]) if spec.get("dimensions") else None,
                "enabled": spec.get("enabled", True) is not False,
                "description": str(spec.get("description") or ""),
                "categoryIds": categories,
                "defaultCategoryId": categories[0] if categories else 0,
                "productClassId": class_id,
                "attributes": {},
                "options": copy.deepcopy(list(spec.get("options") or [])),
                "combinations": [],
                "images": self._add_images(store, spec.get("images") or []),
                "createTimestamp": now,
                "updateTimestamp": now,
            }
            product["attributes"] = self._attribute_values(store, class_id, spec.get("attributes") or {}, {})
            for combo_spec in spec.get("combinations") or []:
                product["combinations"].append(self._new_combination(product, combo_spec))
            store.products[pid] = product
            if notify:
                self.notify(store, "product.created", pid)
            return pid

    def seed(self, store_id: int, catalog: Catalog) -> list[SeededProduct]:
        """Load a generated catalog (categories, classes, products) without firing webhooks."""
        with self.lock:
            store = self.store(store_id)
            names = {c["name"]: cid for cid, c in store.categories.items()}
            for category in catalog.categories:
                if category["name"] not in names:
                    parent = names.get(category["parent"] or "", 0)
                    names[category["name"]] = self.add_category(store.id, category["name"], parent)
            known = {c["name"] for c in store.classes.values()}
            for name, attributes in catalog.product_classes.items():
                if name not in known:
                    self.add_product_class(store.id, name, attributes)
            seeded = []
            for generated in catalog.products:
                pid = self.add_product(store.id, generated.spec, notify=False)
                combos = tuple(c["id"] for c in store.products[pid]["combinations"])
                seeded.append(SeededProduct(generated.index, pid, generated.flaws, combos))
            return seeded

    def _product(self, store: Store, product_id: int | str) -> dict[str, Any]:
        try:
            return store.products[int(product_id)]
        except (KeyError, ValueError):
            raise ApiError(404, f"Product {product_id} not found", "PRODUCT_NOT_FOUND") from None

    def _combination(self, product: dict[str, Any], combination_id: int | str) -> dict[str, Any]:
        for combo in product["combinations"]:
            if str(combo["id"]) == str(combination_id):
                found: dict[str, Any] = combo
                return found
        raise ApiError(404, f"Combination {combination_id} not found", "COMBINATION_NOT_FOUND")

    def _touch(self, store: Store, product: dict[str, Any], *, notify: bool = True) -> None:
        product["updateTimestamp"] = self.now()
        if notify:
            self.notify(store, "product.updated", product["id"])

    def update_product(
        self, store_id: int, product_id: int | str, changes: Mapping[str, Any], *, notify: bool = True
    ) -> None:
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            for name in ("name", "description", "sku"):
                if name in changes:
                    product[name] = str(changes[name] or "")
            if "enabled" in changes:
                product["enabled"] = changes["enabled"] is not False
            if "price" in changes:
                product["price"] = decimal_value(changes["price"], "price")
            if "compareToPrice" in changes:
                product["compareToPrice"] = (
                    decimal_value(changes["compareToPrice"], "compareToPrice") if changes["compareToPrice"] else None
                )
            if "weight" in changes:
                weight = changes["weight"]
                product["weight"] = decimal_value(weight, "weight") if weight is not None else None
            if "dimensions" in changes:
                product["dimensions"] = dict(changes["dimensions"]) if changes["dimensions"] else None
            if "categoryIds" in changes:
                product["categoryIds"] = self._resolve_categories(store, changes)
                product["defaultCategoryId"] = product["categoryIds"][0] if product["categoryIds"] else 0
            if "productClassId" in changes:
                product["productClassId"] = self._resolve_class(store, changes)
            if "attributes" in changes:
                product["attributes"] = self._attribute_values(
                    store, product["productClassId"], changes["attributes"], product["attributes"]
                )
            if "options" in changes:
                product["options"] = copy.deepcopy(list(changes["options"] or []))
            if changes.get("unlimited") is True:
                product["unlimited"], product["quantity"] = True, None
            elif "quantity" in changes and changes["quantity"] is not None:
                product["unlimited"], product["quantity"] = (
                    False,
                    max(0, int_value(changes["quantity"], "quantity")),
                )
            elif changes.get("unlimited") is False and product["unlimited"]:
                product["unlimited"], product["quantity"] = False, 0
            self._touch(store, product, notify=notify)

    def delete_product(self, store_id: int, product_id: int | str) -> None:
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            del store.products[product["id"]]
            store.deleted.append((product["id"], self.now()))
            self.notify(store, "product.deleted", product["id"])

    def add_combination(self, store_id: int, product_id: int | str, spec: Mapping[str, Any]) -> int:
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            if spec.get("sku") and any(c.get("sku") == spec["sku"] for c in product["combinations"]):
                raise ApiError(409, "This SKU already exists", "DUPLICATE")
            combo = self._new_combination(product, spec)
            product["combinations"].append(combo)
            self._touch(store, product)
            return int(combo["id"])

    def update_combination(
        self, store_id: int, product_id: int | str, combination_id: int | str, changes: Mapping[str, Any]
    ) -> None:
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            combo = self._combination(product, combination_id)
            self._apply_combination_fields(product, combo, changes)
            self._touch(store, product)

    def delete_combination(self, store_id: int, product_id: int | str, combination_id: int | str) -> None:
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            combo = self._combination(product, combination_id)
            product["combinations"].remove(combo)
            self._touch(store, product)

    # stock ------------------------------------------------------------------------------------

    @staticmethod
    def owns_stock(combo: Mapping[str, Any]) -> bool:
        return bool(combo.get("sku")) and (combo.get("quantity") is not None or combo.get("unlimited") is True)

    def _stock_holder(self, product: dict[str, Any], combo: dict[str, Any] | None) -> dict[str, Any]:
        return combo if combo is not None and self.owns_stock(combo) else product

    def adjust_inventory(
        self, store_id: int, product_id: int | str, combination_id: int | str | None, delta: Any
    ) -> dict[str, Any]:
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            combo = self._combination(product, combination_id) if combination_id is not None else None
            amount = int_value(delta, "quantityDelta")
            holder = self._stock_holder(product, combo)
            answer: dict[str, Any] = {"updateCount": 1}
            if holder.get("unlimited"):
                answer["warning"] = "Stock is unlimited: quantityDelta ignored"
                answer["updateCount"] = 0
                return answer
            new = int(holder.get("quantity") or 0) + amount
            if new < 0:
                answer["warning"] = "Not enough stock: quantity set to 0"
                new = 0
            holder["quantity"] = new
            self._touch(store, product)
            return answer

    def stock(self, store_id: int, product_id: int | str, combination_id: int | str | None = None) -> int | None:
        """The quantity a buyer could take (``None`` = unlimited), inheritance resolved."""
        with self.lock:
            store = self.store(store_id)
            product = self._product(store, product_id)
            combo = self._combination(product, combination_id) if combination_id is not None else None
            holder = self._stock_holder(product, combo)
            return None if holder.get("unlimited") else int(holder.get("quantity") or 0)

    # rendering and search ---------------------------------------------------------------------

    def _in_stock(self, product: dict[str, Any], combo: dict[str, Any] | None = None) -> bool:
        holder = self._stock_holder(product, combo)
        return bool(holder.get("unlimited")) or int(holder.get("quantity") or 0) > 0
