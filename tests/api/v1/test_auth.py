"""API keys: shown once, stored hashed, required on every route, revocable at once."""

from __future__ import annotations

import pytest

from tests.api.v1.harness import Api
from vellarys.db.models import ApiKey, Tenant
from vellarys.services.api_keys import hash_key, revoke_api_key

ROUTES = [
    ("GET", "/api/v1/leads"),
    ("GET", "/api/v1/properties"),
    ("GET", "/api/v1/knowledge"),
    ("GET", "/api/v1/handoffs"),
    ("POST", "/api/v1/properties/import"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_a_request_without_a_key_is_401_in_the_error_shape(
    api: Api, method: str, path: str
) -> None:
    response = await api.client.request(method, path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "Unauthorized"
    assert response.json()["error"]["message"]


@pytest.mark.parametrize(
    "header",
    ["Bearer vk_00000000_" + "x" * 43, "Bearer not-a-key", "Basic dXNlcjpwYXNz", "Bearer "],
)
async def test_an_unknown_or_malformed_key_is_401(api: Api, header: str) -> None:
    response = await api.client.get("/api/v1/leads", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "Unauthorized"


async def test_a_revoked_key_stops_working_at_once(api: Api) -> None:
    assert (await api.call("GET", "/api/v1/leads")).status_code == 200
    async with api.db() as session:
        await revoke_api_key(session, tenant_id=api.ours.tenant_id, key_id=api.ours.key_id)
    response = await api.call("GET", "/api/v1/leads")
    assert response.status_code == 401
    assert (await api.call("GET", "/api/v1/leads", as_=api.theirs)).status_code == 200


async def test_a_key_of_a_deactivated_agency_is_401(api: Api) -> None:
    async with api.db() as session:
        tenant = await session.get(Tenant, api.ours.tenant_id)
        assert tenant is not None
        tenant.active = False
    assert (await api.call("GET", "/api/v1/leads")).status_code == 401


async def test_only_the_hash_of_the_key_is_stored_and_use_is_recorded(api: Api) -> None:
    await api.call("GET", "/api/v1/leads")
    async with api.db() as session:
        key = await session.get(ApiKey, api.ours.key_id)
        assert key is not None
        assert key.key_hash == hash_key(api.ours.key) and api.ours.key not in key.key_hash
        assert api.ours.key.startswith(f"vk_{key.prefix}_")
        assert key.last_used_at is not None
