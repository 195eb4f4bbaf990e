"""Listings over the API: CRUD, deactivation, all-or-nothing bulk import, indexing jobs."""

from __future__ import annotations

from typing import Any

from tests.api.v1.harness import Api

LISTING: dict[str, Any] = {
    "code": "AP1101",
    "title": "Apartamento 3 quartos em Moema",
    "property_type": "apartment",
    "transaction": "sale",
    "price": 850000,
    "condo_fee": 1200.5,
    "bedrooms": 3,
    "suites": 1,
    "parking": 2,
    "area_m2": 98,
    "neighborhood": "Moema",
    "city": "São Paulo",
    "features": ["varanda gourmet", "aceita pets"],
    "photos": ["https://example.com/1.jpg"],
}


async def _jobs(api: Api) -> int:
    return int(
        await api.scalar(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'vellarys:index_properties' "
            "AND args->>'tenant_id' = :t",
            t=str(api.ours.tenant_id),
        )
    )


async def _count(api: Api) -> int:
    return int(
        await api.scalar(
            "SELECT count(*) FROM properties WHERE tenant_id = :t", t=api.ours.tenant_id
        )
    )


async def test_create_get_update_and_deactivate_a_listing(api: Api) -> None:
    created = await api.call("POST", "/api/v1/properties", json=LISTING)
    assert created.status_code == 201, created.text
    prop = created.json()
    assert (prop["price"], prop["condo_fee"], prop["available"]) == (850000, 1200.5, True)
    assert await _jobs(api) == 1
    path = f"/api/v1/properties/{prop['id']}"
    assert (await api.call("GET", path)).json()["title"] == LISTING["title"]

    patched = (await api.call("PATCH", path, json={"price": 799000, "bedrooms": 4})).json()
    assert (patched["price"], patched["bedrooms"], patched["title"]) == (
        799000,
        4,
        LISTING["title"],
    )
    assert patched["features"] == LISTING["features"]
    deleted = (await api.call("DELETE", path)).json()
    assert deleted["available"] is False
    listed = (await api.call("GET", "/api/v1/properties", params={"available": True})).json()
    assert listed["total"] == 0
    back = (await api.call("PATCH", path, json={"available": True})).json()
    assert back["available"] is True
    assert await _jobs(api) == 4


async def test_list_filters_and_paginates(api: Api) -> None:
    for i, (kind, deal) in enumerate([("apartment", "sale"), ("house", "rent"), ("house", "sale")]):
        row = {**LISTING, "code": f"C{i}", "property_type": kind, "transaction": deal}
        assert (await api.call("POST", "/api/v1/properties", json=row)).status_code == 201
    page = (await api.call("GET", "/api/v1/properties", params={"per_page": 2, "page": 2})).json()
    assert ([p["code"] for p in page["items"]], page["total"]) == (["C2"], 3)
    houses = await api.call(
        "GET", "/api/v1/properties", params={"property_type": "house", "transaction": "sale"}
    )
    assert [p["code"] for p in houses.json()["items"]] == ["C2"]
    found = await api.call("GET", "/api/v1/properties", params={"text": "c1"})
    assert [p["code"] for p in found.json()["items"]] == ["C1"]


async def test_bad_listings_are_refused_with_the_reason_and_nothing_is_saved(api: Api) -> None:
    assert (await api.call("POST", "/api/v1/properties", json=LISTING)).status_code == 201
    cases = [
        {**LISTING, "code": "X1", "price": -1},
        {**LISTING, "code": "X2", "property_type": "castle"},
        {**LISTING, "code": "X3", "photos": ["ftp://x"]},
        {k: v for k, v in LISTING.items() if k != "city"},
        {**LISTING, "code": "X4", "colour": "blue"},
        LISTING,  # the last: duplicate code
    ]
    for body in cases:
        response = await api.call("POST", "/api/v1/properties", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["details"]
    assert "AP1101" in response.json()["error"]["message"]
    assert await _count(api) == 1


async def test_patch_with_bad_input_changes_nothing(api: Api) -> None:
    prop = (await api.call("POST", "/api/v1/properties", json=LISTING)).json()
    path = f"/api/v1/properties/{prop['id']}"
    for body, status in [
        ({}, 400),
        ({"price": None}, 400),
        ({"bedrooms": 500}, 422),
        ({"state": "São Paulo"}, 422),
    ]:
        response = await api.call("PATCH", path, json=body)
        assert response.status_code == status, (body, response.text)
    assert (await api.call("GET", path)).json()["bedrooms"] == 3


async def test_another_agencys_listing_is_404_and_unchanged(api: Api) -> None:
    theirs = await api.call("POST", "/api/v1/properties", json=LISTING, as_=api.theirs)
    path = f"/api/v1/properties/{theirs.json()['id']}"
    for method, body in [("GET", None), ("PATCH", {"price": 1}), ("DELETE", None)]:
        response = await api.call(method, path, json=body)
        assert response.status_code == 404, method
    still = (await api.call("GET", path, as_=api.theirs)).json()
    assert (still["price"], still["available"]) == (850000, True)
    # The same code is free in another agency.
    assert (await api.call("POST", "/api/v1/properties", json=LISTING)).status_code == 201


async def test_bulk_import_creates_and_updates_by_code_with_one_indexing_job(api: Api) -> None:
    assert (await api.call("POST", "/api/v1/properties", json=LISTING)).status_code == 201
    rows = [{**LISTING, "price": 800000}, {**LISTING, "code": "CS01", "property_type": "house"}]
    response = await api.call("POST", "/api/v1/properties/import", json=rows)
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 1, "updated": 1}
    assert await _count(api) == 2
    assert await _jobs(api) == 2


async def test_bulk_import_with_one_bad_row_imports_nothing_and_names_each_bad_row(
    api: Api,
) -> None:
    rows = [
        LISTING,
        {**LISTING, "code": "B2", "price": "caro"},
        {**LISTING, "code": "B3"},
        {**LISTING, "code": "B3"},
        {**LISTING, "code": "B5", "transaction": "swap"},
    ]
    response = await api.call("POST", "/api/v1/properties/import", json=rows)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "InvalidRows"
    assert [(d["row"], d["code"]) for d in error["details"]] == [(2, "B2"), (4, "B3"), (5, "B5")]
    assert await _count(api) == 0 and await _jobs(api) == 0

    dup = await api.call("POST", "/api/v1/properties/import", json=[LISTING, LISTING])
    assert dup.status_code == 400 and dup.json()["error"]["details"][0]["row"] == 2
    empty = await api.call("POST", "/api/v1/properties/import", json=[])
    assert empty.status_code == 400
    not_a_list = await api.call("POST", "/api/v1/properties/import", json={"code": "x"})
    assert not_a_list.status_code == 422
    assert await _count(api) == 0


async def test_a_feature_with_a_semicolon_and_a_photo_url_with_a_comma_survive_the_api(
    api: Api,
) -> None:
    body = {
        **LISTING,
        "code": "SC01",
        "features": ["Piscina; churrasqueira"],
        "photos": ["https://fotos.example/sc01/a,b.jpg"],
    }
    created = await api.call("POST", "/api/v1/properties", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["features"] == ["Piscina; churrasqueira"]
    path = f"/api/v1/properties/{created.json()['id']}"
    patched = (await api.call("PATCH", path, json={"price": 1})).json()
    assert patched["features"] == ["Piscina; churrasqueira"]
    assert patched["photos"] == ["https://fotos.example/sc01/a,b.jpg"]
