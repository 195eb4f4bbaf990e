"""The OpenAPI document is accurate: real responses of every route validate against it.

Every response an API test receives is checked by the ``api`` fixture's client; this module
also walks every route once and proves the checker rejects what the document does not allow.
"""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from tests.api.v1.factories import make_channel, make_handoff, make_lead, make_message, make_user
from tests.api.v1.harness import Api
from tests.api.v1.openapi_check import OpenApiMismatch
from tests.api.v1.test_properties_api import LISTING


async def test_every_route_answers_as_the_document_says(api: Api) -> None:
    async with api.db() as session:
        channel = await make_channel(session, api.ours.tenant_id)
        broker = await make_user(session, api.ours.tenant_id)
        lead = await make_lead(
            session,
            api.ours.tenant_id,
            name="Ana",
            channel_id=channel.id,
            custom_data={"neighborhoods": ["Moema"], "budget_max": 500_000},
        )
        await make_message(session, lead, "Oi")
        handoff = await make_handoff(session, lead)
    leads, lead_path = "/api/v1/leads", f"/api/v1/leads/{lead.id}"
    tour = [
        ("GET", leads, {"params": {"neighborhood": "Moema", "sort": "score"}}),
        ("POST", leads, {"json": {"phone": "11987650000", "source": "site"}}),
        ("GET", lead_path, {}),
        ("PATCH", lead_path, {"json": {"stage": "qualified", "assigned_user_id": str(broker.id)}}),
        ("GET", f"{lead_path}/messages", {}),
        ("POST", f"{lead_path}/messages", {"json": {"text": "Olá!"}}),
        ("POST", f"{lead_path}/give-back", {}),
        ("POST", f"{lead_path}/take-over", {}),
        ("GET", "/api/v1/handoffs", {}),
        ("GET", f"/api/v1/handoffs/{handoff.id}", {}),
        ("POST", "/api/v1/properties", {"json": LISTING}),
        ("GET", "/api/v1/properties", {}),
        ("POST", "/api/v1/properties/import", {"json": [{**LISTING, "code": "B1"}]}),
        ("POST", "/api/v1/knowledge", {"json": {"title": "FAQ", "content": "Sim."}}),
        ("POST", "/api/v1/knowledge/upload", {"files": {"file": ("a.md", b"# A")}}),
        ("GET", "/api/v1/knowledge", {}),
        ("GET", f"{lead_path}/export", {}),
    ]
    for method, path, kwargs in tour:
        response = await api.call(method, path, **kwargs)  # type: ignore[arg-type]
        assert response.status_code < 300, (method, path, response.text)
    prop = (await api.call("GET", "/api/v1/properties")).json()["items"][0]
    doc = (await api.call("GET", "/api/v1/knowledge")).json()["items"][0]
    for method, path, kwargs in [
        ("GET", f"/api/v1/properties/{prop['id']}", {}),
        ("PATCH", f"/api/v1/properties/{prop['id']}", {"json": {"price": 1}}),
        ("DELETE", f"/api/v1/properties/{prop['id']}", {}),
        ("DELETE", f"/api/v1/knowledge/{doc['id']}", {}),
        ("POST", f"{lead_path}/erase", {}),
    ]:
        response = await api.call(method, path, **kwargs)  # type: ignore[arg-type]
        assert response.status_code < 300, (method, path, response.text)

    documented = {
        (method.upper(), path)
        for path, operations in api.openapi.document["paths"].items()
        if path.startswith("/api/v1/")
        for method in operations
    }
    succeeded = {(m, p) for m, p, status in api.openapi.checked if status < 300}
    succeeded |= {("DELETE", "/api/v1/knowledge/{document_id}")}  # 204: no body to check
    assert documented - succeeded == set()


async def test_error_responses_match_the_declared_error_model(api: Api) -> None:
    missing = uuid.uuid4()
    calls = [
        ("GET", "/api/v1/leads", {"headers": {"Authorization": "Bearer nope"}}, 401),
        ("GET", f"/api/v1/leads/{missing}", {}, 404),
        ("GET", "/api/v1/leads", {"params": {"per_page": 500}}, 422),
        ("PATCH", f"/api/v1/leads/{missing}", {"json": {}}, 400),
        ("POST", "/api/v1/properties/import", {"json": [{"code": "x"}]}, 400),
        ("POST", "/api/v1/properties", {"json": {**LISTING, "price": "caro"}}, 422),
        ("DELETE", f"/api/v1/knowledge/{missing}", {}, 404),
    ]
    for method, path, kwargs, status in calls:
        response = await api.call(method, path, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == status, (method, path, response.text)
    assert len([c for c in api.openapi.checked if c[2] >= 400]) == len(calls)


def test_every_api_route_is_documented_with_the_error_shape_for_401(
    app_without_database: FastAPI,
) -> None:
    app = app_without_database
    routes = {
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        if (route.path or "").startswith("/api/v1/")
        for method in route.methods or ()
    }
    paths = app.openapi()["paths"]
    for method, path in routes:
        responses = paths[path][method.lower()]["responses"]
        schema = responses["401"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path)
    assert len(routes) == 22  # 19 + take-over, give-back and POST /leads


LEAD = {
    "id": str(uuid.uuid4()),
    "name": "Ana",
    "phone": "+5511999990000",
    "stage": "new",
    "temperature": "cold",
    "score": 0,
    "custom_data": {},
    "summary": None,
    "assigned_user_id": None,
    "assigned_user_name": None,
    "channel_id": None,
    "ai_paused": False,
    "opted_out": False,
    "last_message_at": None,
    "created_at": "2025-01-01T00:00:00Z",
    "updated_at": "2025-01-01T00:00:00Z",
    "erased_at": None,
    "source": "whatsapp",
    "campaign": None,
    "source_details": {},
}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({**LEAD, "stage": "sold"}, 200),  # a value outside the declared enum
        ({**LEAD, "score": "high"}, 200),  # a field of the wrong type
        ({**LEAD, "password_hash": "x"}, 200),  # a field the model does not declare
        ({k: v for k, v in LEAD.items() if k != "phone"}, 200),  # a required field missing
        ({"detail": "Not Found"}, 404),  # FastAPI's default error shape, not ours
        (LEAD, 201),  # a status the route does not declare
    ],
)
def test_the_check_fails_when_a_response_does_not_match_the_document(
    api: Api, body: dict[str, object], status: int
) -> None:
    path = f"/api/v1/leads/{uuid.uuid4()}"
    api.openapi.check("GET", path, 200, json.dumps(LEAD).encode(), "application/json")
    with pytest.raises(OpenApiMismatch):
        api.openapi.check("GET", path, status, json.dumps(body).encode(), "application/json")
