"""Product API: reference data, image upload, listings with the rules of ``rules``, an
asynchronous review (PENDING, then ACTIVATE or FAILED with a reason; webhooks 5 and 37),
inventory and price updates."""

from __future__ import annotations

import email.parser
import email.policy
import io
import time
from decimal import Decimal
from typing import Any

from local.httpkit import Request, Response
from local.sandbox_tiktok import catalog, rules
from local.sandbox_tiktok import codes as c
from local.sandbox_tiktok.core import Call, Core, page
from local.sandbox_tiktok.state import Image, Product, Shop, Sku

P = "/product/202309"
#: Newer versions of some product operations (see docs/tiktok.md for the sources).
P_PREREQUISITES = "/product/202312"
P_SEARCH = "/product/202502"
P_EDIT = "/product/202509"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
UPLOAD_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "BMP": "image/bmp"}
#: Words that make the sandbox's reviewer refuse a listing (a realistic stand-in for policy).
PROHIBITED_WORDS = ("replica", "counterfeit")


class ProductApi(Core):
    def register_products(self) -> None:
        self.api("GET", P + "/categories", self._categories)
        self.api("POST", P + "/categories/recommend", self._recommend)
        self.api("GET", P + "/categories/{category_id}/rules", self._rules)
        self.api("GET", P + "/categories/{category_id}/attributes", self._attributes)
        self.api("GET", P + "/brands", self._brands)
        self.api("POST", P + "/brands", self._create_brand)
        self.api("POST", P + "/images/upload", self._upload_image)
        self.api("GET", P_PREREQUISITES + "/prerequisites", self._prerequisites)
        self.api("POST", P + "/products/search", self._search)
        self.api("POST", P_SEARCH + "/products/search", self._search_202502)
        self.api("POST", P + "/products/listing_check", self._listing_check)
        self.api("POST", P + "/products/activate", self._activate)
        self.api("POST", P + "/products/deactivate", self._deactivate)
        self.api("POST", P + "/products/recover", self._recover)
        self.api("POST", P + "/products", self._create)
        self.api("DELETE", P + "/products", self._delete)
        self.api("GET", P + "/products/{product_id}", self._get)
        self.api("PUT", P + "/products/{product_id}", self._edit)
        self.api("POST", P + "/products/{product_id}/partial_edit", self._partial_edit)
        self.api("PUT", P_EDIT + "/products/{product_id}", self._edit_202509)
        self.api("POST", P_EDIT + "/products/{product_id}/partial_edit", self._partial_edit_202509)
        self.api("POST", P + "/products/{product_id}/inventory/update", self._inventory_update)
        self.api("POST", P + "/products/{product_id}/prices/update", self._price_update)
        self.api("POST", P + "/inventory/search", self._inventory_search)
        self.router.add("GET", "/_images/{uri}", self._serve_image)
        self._review_outcomes: dict[str, tuple[str, str]] = {}

    # --- Python API ------------------------------------------------------------------------

    def set_review_outcome(self, outcome: str, reason: str = "", product_id: str | None = None) -> None:
        """APPROVED or FAILED for one product, or (``product_id`` None) for every later review."""
        if outcome not in ("APPROVED", "FAILED"):
            raise ValueError("outcome must be APPROVED or FAILED")
        with self.state.lock:
            self._review_outcomes[product_id or "*"] = (outcome, reason or "The listing violates a policy")

    def review_now(self, product_id: str) -> None:
        with self.state.lock:
            product = self.state.products[product_id]
            self._finish_review(product.id, product.review_token)

    def product(self, product_id: str) -> dict[str, Any]:
        with self.state.lock:
            return self.state.products[product_id].detail(self.state.images, self.image_url_prefix)

    # --- reference data ---------------------------------------------------------------------

    def _version(self, request: Request, shop: Shop | None) -> str:
        version = request.arg("category_version") or (shop.category_version if shop else "v1")
        if version not in ("v1", "v2"):
            raise c.ApiError(c.BAD_PARAMETER, "category_version must be v1 or v2", 400)
        return version

    def _categories(self, request: Request, call: Call) -> dict[str, Any]:
        return {"categories": catalog.categories(self._version(request, call.shop), request.arg("keyword"))}

    def _node(self, category_id: str) -> catalog.Node:
        found = catalog.find(category_id)
        if found is None:
            raise c.ApiError(c.CATEGORY_NOT_FOUND, "The category does not exist")
        return found[0]

    def _rules(self, request: Request, call: Call) -> dict[str, Any]:
        return catalog.rules(self._node(request.params["category_id"]))

    def _attributes(self, request: Request, call: Call) -> dict[str, Any]:
        node = self._node(request.params["category_id"])
        return {"attributes": [a.json() for a in catalog.attributes(node)]}

    def _brands(self, request: Request, call: Call) -> dict[str, Any]:
        brands = list(self.state.brands)
        category_id = request.arg("category_id")
        if category_id:
            kind = self._node(category_id).kind
            brands = [b for b in brands if not b.kinds or kind in b.kinds]
        name = (request.arg("brand_name") or "").lower()
        if name:
            brands = [b for b in brands if name in b.name.lower()]
        items, token, total = page([b.json() for b in brands], request.query, default_size=100)
        return {"brands": items, "next_page_token": token, "total_count": total}

    def _create_brand(self, request: Request, call: Call) -> dict[str, Any]:
        name = str((call.body or {}).get("name") or "").strip()
        if not name:
            raise c.ApiError(c.BAD_PARAMETER, "param body.name is missing", 400)
        with self.state.lock:
            existing = next((b for b in self.state.brands if b.name.lower() == name.lower()), None)
            if existing is not None:
                return {"id": existing.id}
            brand = catalog.Brand(self.state.new_id(70), name, custom=True)
            self.state.brands.append(brand)
            return {"id": brand.id}

    def _recommend(self, request: Request, call: Call) -> dict[str, Any]:
        body = call.body or {}
        title = str(body.get("product_title") or "")
        if not title:
            raise c.ApiError(c.BAD_PARAMETER, "param body.product_title is missing", 400)
        version = body.get("category_version") or (call.shop.category_version if call.shop else "v1")
        node = catalog.recommend(title + " " + str(body.get("description") or ""))
        path = catalog.chain(node)
        return {
            "leaf_category_id": node.id(version),
            "categories": [
                {"id": n.id(version), "name": n.name, "level": i + 1, "is_leaf": catalog.is_leaf(n)}
                for i, n in enumerate(path)
            ],
        }

    def _prerequisites(self, request: Request, call: Call) -> dict[str, Any]:
        shop = call.shop
        assert shop is not None
        checks = [
            ("ONBOARDING", not shop.onboarded),
            ("BANK_ACCOUNT", False),
            ("TAX_INFO", False),
            ("WAREHOUSE", not any(w.type == "SALES_WAREHOUSE" for w in shop.warehouses)),
            ("SHIPPING_TEMPLATE", not shop.has_shipping_template),
            ("LISTING_QUOTA", shop.listed_today >= shop.daily_listing_limit),
        ]
        return {
            "check_results": [
                {
                    "check_item": item,
                    "is_failed": failed,
                    "fail_reasons": [f"{item} not ready"] if failed else [],
                }
                for item, failed in checks
            ]
        }

    # --- images -----------------------------------------------------------------------------

    def _upload_image(self, request: Request, call: Call) -> dict[str, Any]:
        content_type = request.header("content-type") or ""
        if not content_type.startswith("multipart/form-data"):
            raise c.ApiError(c.UPLOAD_BAD_CONTENT_TYPE, "Content-Type must be multipart/form-data", 400)
        if len(request.body) > MAX_UPLOAD_BYTES + 4096:
            raise c.ApiError(c.UPLOAD_TOO_LARGE, "The file exceeds 10 MB", 400)
        fields = _multipart(content_type, request.body)
        data = fields.get("data")
        if not data:
            raise c.ApiError(c.BAD_PARAMETER, "param data is missing (send the image bytes)", 400)
        if len(data) > MAX_UPLOAD_BYTES:
            raise c.ApiError(c.UPLOAD_TOO_LARGE, "The file exceeds 10 MB", 400)
        use_case = (fields.get("use_case") or b"MAIN_IMAGE").decode("utf-8", errors="replace")
        from PIL import Image as PILImage
        from PIL import UnidentifiedImageError

        try:
            with PILImage.open(io.BytesIO(data)) as img:
                width, height = img.size
                fmt = img.format or ""
        except (UnidentifiedImageError, OSError):
            raise c.ApiError(c.UPLOAD_BAD_CONTENT, "The file is not an image", 400) from None
        if fmt not in UPLOAD_FORMATS:
            raise c.ApiError(c.IMAGE_FORMAT_UNSUPPORTED, f"Unsupported image format {fmt}")
        if not (100 <= width <= 20000 and 100 <= height <= 20000):
            raise c.ApiError(c.IMAGE_DIMENSIONS_OUT_OF_RANGE, "Images must be 100-20000 px on each side")
        with self.state.lock:
            uri = "tos-maliva-i-" + self.state.new_secret("")[:20].lower().replace("-", "x").replace("_", "y")
            self.state.images[uri] = Image(uri, width, height, use_case, data, UPLOAD_FORMATS[fmt])
        return {
            "uri": uri,
            "url": self.image_url_prefix + uri,
            "width": width,
            "height": height,
            "use_case": use_case,
        }

    def _serve_image(self, request: Request) -> Response:
        with self.state.lock:
            image = self.state.images.get(request.params["uri"])
        if image is None:
            return Response(404, b"not found", {"content-type": "text/plain"})
        return Response(200, image.data, {"content-type": image.content_type})

    # --- listings ---------------------------------------------------------------------------

    def _context(self, shop: Shop, editing: str | None = None) -> rules.Context:
        return rules.Context(
            shop=shop,
            images=self.state.images,
            image_url_prefix=self.image_url_prefix,
            brands=self.state.brands,
            products=self.state.products,
            editing=editing,
        )

    def _listing_check(self, request: Request, call: Call) -> dict[str, Any]:
        assert call.shop is not None
        with self.state.lock:
            problems = rules.check_product(_object(call.body), self._context(call.shop), creating=False)
        return {
            "check_result": "FAILED" if problems else "PASS",
            "fail_reasons": [{"code": code, "reasons": [message]} for code, message in problems],
            "warnings": [],
        }

    def _create(self, request: Request, call: Call) -> dict[str, Any]:
        shop = call.shop
        assert shop is not None
        body = _object(call.body)
        key = body.get("idempotency_key")
        if key is not None and (not isinstance(key, str) or len(key) > 128):
            raise c.ApiError(c.BAD_PARAMETER, "idempotency_key must be a string of at most 128 characters", 400)
        with self.state.lock:
            if key and (shop.id, "create", key) in self.state.idempotency:
                return dict(self.state.idempotency[(shop.id, "create", key)])
            problems = rules.check_product(body, self._context(shop), creating=True)
            if problems:
                raise c.ApiError(*problems[0])
            now = int(time.time())
            product = Product(
                id=self.state.new_id(17),
                shop_id=shop.id,
                status="DRAFT" if body.get("save_mode") == "AS_DRAFT" else "PENDING",
                body={k: v for k, v in body.items() if k not in ("skus", "idempotency_key")},
                skus=[],
                create_time=now,
                update_time=now,
            )
            product.skus = self._build_skus(body["skus"], shop, [])
            self.state.products[product.id] = product
            shop.listed_today += 1
            result = {
                "product_id": product.id,
                "skus": [_created_sku(s) for s in product.skus],
                "warnings": [],
            }
            if key:
                self.state.idempotency[(shop.id, "create", key)] = result
        self.emit(shop.id, 16, {"product_id": product.id, "product_types": ["NORMAL"]})
        if product.status == "PENDING":
            self._start_review(product)
        return result

    def _build_skus(self, raw: list[dict[str, Any]], shop: Shop, existing: list[Sku]) -> list[Sku]:
        by_id = {s.id: s for s in existing}
        names: dict[str, str] = {}
        built: list[Sku] = []
        for entry in raw:
            attributes = []
            for attr in entry.get("sales_attributes") or []:
                attr_id = str(attr.get("id") or names.setdefault("a:" + str(attr.get("name")), self.state.new_id(71)))
                value_id = str(
                    attr.get("value_id")
                    or names.setdefault(f"v:{attr_id}:{attr.get('value_name')}", self.state.new_id(72))
                )
                attributes.append(
                    {
                        "id": attr_id,
                        "name": attr.get("name"),
                        "value_id": value_id,
                        "value_name": attr.get("value_name"),
                        "sku_img": attr.get("sku_img"),
                    }
                )
            old = by_id.get(str(entry.get("id") or ""))
            built.append(
                Sku(
                    id=old.id if old else self.state.new_id(17),
                    seller_sku=entry.get("seller_sku"),
                    price=Decimal(str(entry["price"]["amount"])),
                    currency=str(entry["price"]["currency"]),
                    inventory={str(i["warehouse_id"]): int(i["quantity"]) for i in entry["inventory"]},
                    sales_attributes=attributes,
                    external_sku_id=entry.get("external_sku_id"),
                    identifier_code=entry.get("identifier_code"),
                    list_price=entry.get("list_price"),
                )
            )
        return built

    def _live(self, product_id: str, shop: Shop | None) -> Product:
        product = self.state.products.get(product_id)
        if product is None or shop is None or product.shop_id != shop.id:
            raise c.ApiError(c.PRODUCT_NOT_FOUND, "The product does not exist")
        return product

    def _get(self, request: Request, call: Call) -> dict[str, Any]:
        with self.state.lock:
            product = self._live(request.params["product_id"], call.shop)
            brand_id = str(product.body.get("brand_id") or "")
            brand = next((b.name for b in self.state.brands if b.id == brand_id), "")
            return product.detail(self.state.images, self.image_url_prefix, brand)

    def _input_skus(self, product: Product) -> list[dict[str, Any]]:
        return [
            {
                "id": s.id,
                "seller_sku": s.seller_sku,
                "external_sku_id": s.external_sku_id,
                "sales_attributes": s.sales_attributes,
                "price": {"amount": str(s.price), "currency": s.currency},
                "inventory": [{"warehouse_id": w, "quantity": q} for w, q in s.inventory.items()],
                "identifier_code": s.identifier_code,
            }
            for s in product.skus
        ]

    def _apply_edit(self, product: Product, body: dict[str, Any], shop: Shop, changed: list[str]) -> dict[str, Any]:
        if product.status == "DELETED":
            raise c.ApiError(c.PRODUCT_STATUS_FORBIDS, "A deleted product cannot be edited")
        existing = {s.id: s for s in product.skus}
        for sku in body.get("skus") or []:
            old = existing.get(str(sku.get("id") or "")) if isinstance(sku, dict) else None
            if old is not None:  # price and inventory survive omission (docs/tiktok.md, listing rules)
                sku.setdefault("price", {"amount": str(old.price), "currency": old.currency})
                sku.setdefault("inventory", [{"warehouse_id": w, "quantity": q} for w, q in old.inventory.items()])
        problems = rules.check_product(body, self._context(shop, editing=product.id), creating=False)
        if problems:
            raise c.ApiError(*problems[0])
        product.body = {k: v for k, v in body.items() if k not in ("skus", "idempotency_key")}
        product.skus = self._build_skus(body["skus"], shop, product.skus)
        product.update_time = int(time.time())
        as_draft = body.get("save_mode") == "AS_DRAFT" and product.status == "DRAFT"
        if not as_draft:
            product.status = "PENDING"
        self.emit(shop.id, 15, {"product_id": product.id, "change_source": "OPEN_API", "changed_fields": changed})
        if not as_draft:
            self._start_review(product)
        return {"product_id": product.id, "skus": [_created_sku(s) for s in product.skus], "warnings": []}

    def _edit(self, request: Request, call: Call) -> dict[str, Any]:
        assert call.shop is not None
        body = _object(call.body)
        with self.state.lock:
            product = self._live(request.params["product_id"], call.shop)
            return self._apply_edit(product, body, call.shop, sorted(body))

    def _edit_202509(self, request: Request, call: Call) -> dict[str, Any]:
        """202509 answers the review state of the edited product as ``audit`` as well."""
        answer = self._edit(request, call)
        return answer | {"audit": {"status": "AUDITING"}} if self._under_review(answer) else answer

    def _partial_edit_202509(self, request: Request, call: Call) -> dict[str, Any]:
        answer = self._partial_edit(request, call)
        answer.pop("warnings", None)  # the 202509 partial edit answer has no warnings
        return answer | {"audit": {"status": "AUDITING"}} if self._under_review(answer) else answer

    def _under_review(self, answer: dict[str, Any]) -> bool:
        with self.state.lock:
            product = self.state.products.get(str(answer.get("product_id")))
            return product is not None and product.status == "PENDING"

    def _partial_edit(self, request: Request, call: Call) -> dict[str, Any]:
        assert call.shop is not None
        given = _object(call.body)
        with self.state.lock:
            product = self._live(request.params["product_id"], call.shop)
            merged = {**product.body, "skus": self._input_skus(product)}
            merged.update(given)  # partial edit replaces whole top-level objects
            return self._apply_edit(product, merged, call.shop, sorted(given))

    # --- review -----------------------------------------------------------------------------

    def _start_review(self, product: Product) -> None:
        product.review_token += 1
        token = product.review_token
        self.emit(product.shop_id, 37, {"product_id": product.id, "audit": {"status": "AUDITING"}})
        self.scheduler.call_later(
            self.scaled(self.config.review_delay_s), lambda: self._finish_review(product.id, token)
        )

    def _finish_review(self, product_id: str, token: int) -> None:
        with self.state.lock:
            product = self.state.products.get(product_id)
            if product is None or product.review_token != token or product.status != "PENDING":
                return
            chosen = self._review_outcomes.pop(product_id, None)
            outcome, reason = chosen or self._review_outcomes.get("*", ("APPROVED", ""))
            text = (str(product.body.get("title")) + " " + str(product.body.get("description"))).lower()
            if outcome == "APPROVED" and any(word in text for word in PROHIBITED_WORDS):
                outcome, reason = "FAILED", "Counterfeit or replica goods are prohibited"
            now = int(time.time())
            product.update_time = now
            first = not product.approved_once
            if outcome == "APPROVED":
                product.status = "ACTIVATE"
                product.audit_failed_reasons = []
                product.approved_once = True
            else:
                product.status = "FAILED"
                product.audit_failed_reasons = [
                    {
                        "position": "product",
                        "reasons": [reason],
                        "suggestions": ["Edit the listing and resubmit"],
                    }
                ]
        if outcome == "APPROVED":
            status = "PRODUCT_FIRST_PASS_REVIEW" if first else "PRODUCT_STATUS_CHANGED"
            self.emit(product.shop_id, 5, {"product_id": product.id, "status": status, "update_time": now})
        else:
            self.emit(
                product.shop_id,
                5,
                {
                    "product_id": product.id,
                    "status": "PRODUCT_AUDIT_FAILURE",
                    "suspended_reason": reason,
                    "update_time": now,
                },
            )
        self.emit(product.shop_id, 37, {"product_id": product.id, "audit": {"status": outcome}})

    # --- search and bulk status -------------------------------------------------------------

    def _search(self, request: Request, call: Call) -> dict[str, Any]:
        return self._search_page(request, call, with_audit=False)

    def _search_202502(self, request: Request, call: Call) -> dict[str, Any]:
        """202502 answers each product with its ``audit`` object as well."""
        return self._search_page(request, call, with_audit=True)

    def _search_page(self, request: Request, call: Call, *, with_audit: bool) -> dict[str, Any]:
        body = _object(call.body)
        with self.state.lock:
            found = [p for p in self.state.products.values() if call.shop and p.shop_id == call.shop.id]
            found = self.searchable(found)
            status = body.get("status")
            if status and status != "ALL":
                found = [p for p in found if p.status == status]
            else:
                found = [p for p in found if p.status != "DELETED"]
            skus = set(body.get("seller_skus") or [])
            if skus:
                found = [p for p in found if any(s.seller_sku in skus for s in p.skus)]
            for field, op in (
                ("create_time_ge", "ge"),
                ("create_time_le", "le"),
                ("update_time_ge", "ge"),
                ("update_time_le", "le"),
            ):
                bound = body.get(field)
                if bound is not None:
                    attr = field.rsplit("_", 1)[0]
                    found = [
                        p for p in found if (getattr(p, attr) >= bound if op == "ge" else getattr(p, attr) <= bound)
                    ]
            found.sort(key=lambda p: p.create_time)  # stable: ties keep creation order
            summaries = [p.summary() | ({"audit": p.audit()} if with_audit else {}) for p in found]
            items, token, total = page(summaries, request.query)
        return {"products": items, "next_page_token": token, "total_count": total}

    def _bulk(self, call: Call, action: str) -> dict[str, Any]:
        ids = _object(call.body).get("product_ids")
        if not isinstance(ids, list) or not ids or len(ids) > 20:
            raise c.ApiError(c.BAD_PARAMETER, "param body.product_ids must hold 1-20 ids", 400)
        errors: list[dict[str, Any]] = []
        changed: list[Product] = []
        with self.state.lock:
            for raw in ids:
                product = self.state.products.get(str(raw))
                if product is None or call.shop is None or product.shop_id != call.shop.id:
                    errors.append(
                        {
                            "code": c.PRODUCT_NOT_FOUND,
                            "message": "product not found",
                            "detail": {"product_id": str(raw)},
                        }
                    )
                    continue
                allowed = {
                    "activate": {"SELLER_DEACTIVATED"},
                    "deactivate": {"ACTIVATE"},
                    "delete": {
                        "DRAFT",
                        "PENDING",
                        "FAILED",
                        "ACTIVATE",
                        "SELLER_DEACTIVATED",
                        "PLATFORM_DEACTIVATED",
                    },
                    "recover": {"DELETED"},
                }[action]
                if product.status not in allowed:
                    errors.append(
                        {
                            "code": c.PRODUCT_STATUS_FORBIDS,
                            "message": f"cannot {action} a product in status {product.status}",
                            "detail": {"product_id": product.id},
                        }
                    )
                    continue
                if action == "activate":
                    product.status = "ACTIVATE" if product.approved_once else "PENDING"
                elif action == "deactivate":
                    product.status = "SELLER_DEACTIVATED"
                elif action == "delete":
                    product.status = "DELETED"
                else:
                    product.status = "SELLER_DEACTIVATED"
                product.update_time = int(time.time())
                changed.append(product)
        for product in changed:
            self.emit(
                product.shop_id,
                5,
                {
                    "product_id": product.id,
                    "status": "PRODUCT_STATUS_CHANGED",
                    "update_time": product.update_time,
                },
            )
            if product.status == "PENDING":
                self._start_review(product)
        return {"errors": errors}

    def _activate(self, request: Request, call: Call) -> dict[str, Any]:
        return self._bulk(call, "activate")

    def _deactivate(self, request: Request, call: Call) -> dict[str, Any]:
        return self._bulk(call, "deactivate")

    def _delete(self, request: Request, call: Call) -> dict[str, Any]:
        return self._bulk(call, "delete")

    def _recover(self, request: Request, call: Call) -> dict[str, Any]:
        return self._bulk(call, "recover")

    # --- inventory and price ---------------------------------------------------------------

    def _sku(self, product: Product, sku_id: Any) -> Sku:
        sku = next((s for s in product.skus if s.id == str(sku_id)), None)
        if sku is None:
            raise c.ApiError(c.SKU_NOT_IN_PRODUCT, f"SKU {sku_id} does not belong to the product")
        return sku

    def _inventory_update(self, request: Request, call: Call) -> dict[str, Any]:
        assert call.shop is not None
        entries = _object(call.body).get("skus")
        if not isinstance(entries, list) or not entries:
            raise c.ApiError(c.BAD_PARAMETER, "param body.skus is missing", 400)
        events: list[dict[str, Any]] = []
        with self.state.lock:
            product = self._live(request.params["product_id"], call.shop)
            if product.status == "DELETED":
                raise c.ApiError(c.PRODUCT_STATUS_FORBIDS, "A deleted product cannot be updated")
            plan: list[tuple[Sku, dict[str, int]]] = []
            for entry in entries:
                sku = self._sku(product, entry.get("id"))
                inventory = entry.get("inventory")
                if not isinstance(inventory, list) or not inventory:
                    raise c.ApiError(c.BAD_PARAMETER, "param body.skus[].inventory is missing", 400)
                problems = rules.inventory_problems(inventory, call.shop)
                if problems:
                    raise c.ApiError(*problems[0])
                given = {str(i["warehouse_id"]): int(i["quantity"]) for i in inventory}
                missing = set(sku.inventory) - set(given)
                if missing:
                    raise c.ApiError(c.INVENTORY_WAREHOUSE_MISSING, "List every warehouse the SKU is assigned to")
                plan.append((sku, given))
            for sku, given in plan:
                before = sum(sku.inventory.values())
                sku.inventory = given
                self.log_inventory_write(product.id, sku.id, given)
                after = sum(given.values())
                if (before == 0) != (after == 0):
                    events.append(
                        {
                            "product_id": product.id,
                            "sku_id": sku.id,
                            "current_inventory_status": "OUT_OF_STOCK" if after == 0 else "IN_STOCK",
                            "inventory_distribution": [{"warehouse_id": w, "quantity": q} for w, q in given.items()],
                        }
                    )
            product.update_time = int(time.time())
        for event in events:
            self.emit(call.shop.id, 27, event)
        return {}

    def _price_update(self, request: Request, call: Call) -> dict[str, Any]:
        assert call.shop is not None
        entries = _object(call.body).get("skus")
        if not isinstance(entries, list) or not entries:
            raise c.ApiError(c.BAD_PARAMETER, "param body.skus is missing", 400)
        with self.state.lock:
            product = self._live(request.params["product_id"], call.shop)
            if product.status != "ACTIVATE":
                raise c.ApiError(c.PRODUCT_STATUS_FORBIDS, "Prices can be updated on ACTIVATE products only")
            plan: list[tuple[Sku, Decimal]] = []
            for entry in entries:
                sku = self._sku(product, entry.get("id"))
                price = entry.get("price") or {}
                try:
                    amount = Decimal(str(price.get("amount")))
                except ArithmeticError:
                    raise c.ApiError(c.PRICE_INVALID, "The price amount is not a number") from None
                if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
                    raise c.ApiError(c.PRICE_INVALID, "The price must be positive with at most 2 decimals")
                if price.get("currency") != call.shop.currency:
                    raise c.ApiError(c.PRICE_CURRENCY_MISMATCH, f"The shop's currency is {call.shop.currency}")
                plan.append((sku, amount))
            for sku, amount in plan:
                sku.price = amount
            product.update_time = int(time.time())
        return {}

    def _inventory_search(self, request: Request, call: Call) -> dict[str, Any]:
        body = _object(call.body)
        product_ids = {str(x) for x in body.get("product_ids") or []}
        sku_ids = {str(x) for x in body.get("sku_ids") or []}
        if not product_ids and not sku_ids:
            raise c.ApiError(c.BAD_PARAMETER, "param body.product_ids or sku_ids is missing", 400)
        out = []
        with self.state.lock:
            for product in self.state.products.values():
                if call.shop is None or product.shop_id != call.shop.id:
                    continue
                skus = [s for s in product.skus if product.id in product_ids or s.id in sku_ids]
                if skus:
                    out.append(
                        {
                            "product_id": product.id,
                            "skus": [
                                {
                                    "id": s.id,
                                    "seller_sku": s.seller_sku,
                                    "total_available_quantity": sum(s.inventory.values()),
                                    "warehouse_inventory": [
                                        {"warehouse_id": w, "available_quantity": q} for w, q in s.inventory.items()
                                    ],
                                }
                                for s in skus
                            ],
                        }
                    )
        return {"inventory": out}


def _object(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise c.ApiError(c.BAD_PARAMETER, "The body must be a JSON object", 400)
    return body


def _created_sku(sku: Sku) -> dict[str, Any]:
    return {
        "id": sku.id,
        "seller_sku": sku.seller_sku,
        "external_sku_id": sku.external_sku_id,
        "sales_attributes": [{"id": a["id"], "value_id": a["value_id"]} for a in sku.sales_attributes],
    }


def _multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    """The named parts of a multipart/form-data body."""
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    fields: dict[str, bytes] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            fields[name] = payload if isinstance(payload, bytes) else b""
    return fields
