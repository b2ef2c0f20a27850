"""The sandbox's /_admin endpoints mirror its Python API (for the demo and other processes)."""

from __future__ import annotations

import httpx

from local.sandbox_ecwid import EcwidSandbox


def test_admin_endpoints(sandbox: EcwidSandbox) -> None:
    with httpx.Client(base_url=f"{sandbox.base_url}/_admin", timeout=5) as admin:
        store_id = admin.post("/stores", json={"name": "Admin Store", "currency": "EUR"}).json()["storeId"]
        token = admin.post(f"/stores/{store_id}/tokens", json={}).json()["token"]
        seeded = admin.post(f"/stores/{store_id}/catalog", json={"n": 40, "seed": 9}).json()["products"]
        assert len(seeded) == 40
        assert 4 <= len([p for p in seeded if p["flaws"]]) <= 6
        product_id = next(p["productId"] for p in seeded if not p["combinationIds"])

        api = httpx.Client(
            base_url=f"{sandbox.url}/{store_id}", headers={"Authorization": f"Bearer {token}"}, timeout=5
        )
        with api:
            assert api.get("/profile").json()["formatsAndUnits"]["currency"] == "EUR"
            admin.put(f"/stores/{store_id}/products/{product_id}", json={"quantity": 17})
            assert admin.get(f"/stores/{store_id}/stock/{product_id}").json() == {
                "quantity": 17,
                "unlimited": False,
            }
            assert api.get(f"/products/{product_id}").json()["quantity"] == 17

            admin.post("/faults", json={"method": "GET", "path": "^/profile$", "status": 502})
            assert api.get("/profile").status_code == 502
            assert api.get("/profile").status_code == 200
            admin.delete("/faults")

            admin.put("/rate-limit", json={"requestsPerMinute": 1, "windowSeconds": 30})
            assert api.get("/profile").status_code == 200
            refused = api.get("/profile")
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 29
            admin.put("/rate-limit", json={"requestsPerMinute": 600})

            counted = admin.get("/requests", params={"path": f"/api/v3/{store_id}/profile", "status": 429}).json()
            assert counted["count"] == 1

            now = admin.post("/clock", json={"advance": 100}).json()["now"]
            assert now >= sandbox.now() - 1

            assert admin.get(f"/stores/{store_id}/orders").json() == {"items": []}
            admin.post(f"/stores/{store_id}/uninstall")
            assert api.get("/profile").status_code == 403

        hooks = admin.put("/webhooks", json={"duplicate": 0.5}).json()
        assert hooks["faults"]["duplicate"] == 0.5
        admin.put("/webhooks", json={})
        assert "deliveries" in admin.get("/webhooks").json()
        assert admin.post("/stores/not-a-number/tokens", json={}).status_code == 400
