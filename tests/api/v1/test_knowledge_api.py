"""The knowledge base over the API: JSON and file uploads, list, delete, indexing jobs."""

from __future__ import annotations

import uuid

from tests.api.v1.harness import Api
from tests.services.test_knowledge import minimal_pdf

PDF = minimal_pdf(["Aceitamos FGTS na compra."])


async def _jobs(api: Api) -> int:
    return int(
        await api.scalar(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'vellarys:index_document' "
            "AND args->>'tenant_id' = :t",
            t=str(api.ours.tenant_id),
        )
    )


async def test_json_upload_is_stored_pending_and_queued_for_indexing(api: Api) -> None:
    body = {
        "title": "Visitas",
        "content": "# Visitas\n\nDe segunda a sábado.",
        "source_type": "markdown",
    }
    response = await api.call("POST", "/api/v1/knowledge", json=body)
    assert response.status_code == 201, response.text
    doc = response.json()
    assert (doc["status"], doc["source_type"], doc["characters"]) == ("pending", "markdown", 31)
    assert await _jobs(api) == 1
    listed = (await api.call("GET", "/api/v1/knowledge")).json()
    assert [d["id"] for d in listed["items"]] == [doc["id"]] and listed["total"] == 1


async def test_file_uploads_take_text_markdown_and_pdf(api: Api) -> None:
    files = [
        ("regras.txt", b"Aceitamos pets.", "text"),
        ("faq.md", b"# FAQ\nSim.", "markdown"),
        ("fgts.pdf", PDF, "pdf"),
    ]
    for name, content, kind in files:
        response = await api.call(
            "POST", "/api/v1/knowledge/upload", files={"file": (name, content)}
        )
        assert response.status_code == 201, response.text
        title = name.rsplit(".", 1)[0]  # the default title is the file name without extension
        assert (response.json()["source_type"], response.json()["title"]) == (kind, title)
    titled = await api.call(
        "POST",
        "/api/v1/knowledge/upload",
        data={"title": "Regras"},
        files={"file": ("r.txt", b"Texto")},
    )
    assert titled.json()["title"] == "Regras"
    assert await _jobs(api) == 4


async def test_bad_uploads_are_refused_and_nothing_is_saved(api: Api) -> None:
    cases = [
        ("POST", "/api/v1/knowledge", {"json": {"title": "", "content": "x"}}, 422),
        (
            "POST",
            "/api/v1/knowledge",
            {"json": {"title": "T", "content": "x", "source_type": "pdf"}},
            422,
        ),
        ("POST", "/api/v1/knowledge", {"json": {"title": "T", "content": "   "}}, 400),
        ("POST", "/api/v1/knowledge/upload", {"files": {"file": ("a.exe", b"MZ")}}, 400),
        ("POST", "/api/v1/knowledge/upload", {"files": {"file": ("a.txt", b"\xff\xfe\x00")}}, 400),
        ("POST", "/api/v1/knowledge/upload", {"files": {"file": ("a.pdf", b"not a pdf")}}, 400),
        ("POST", "/api/v1/knowledge/upload", {"data": {"title": "x"}}, 422),
    ]
    for method, path, kwargs, status in cases:
        response = await api.call(method, path, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == status, (kwargs, response.text)
        assert response.json()["error"]["message"]
    count = "SELECT count(*) FROM knowledge_documents WHERE tenant_id = :t"
    assert await api.scalar(count, t=api.ours.tenant_id) == 0
    assert await _jobs(api) == 0


async def test_delete_removes_the_document_and_foreign_ones_are_404(api: Api) -> None:
    ours = (await api.call("POST", "/api/v1/knowledge", json={"title": "A", "content": "a"})).json()
    theirs = (
        await api.call(
            "POST", "/api/v1/knowledge", json={"title": "B", "content": "b"}, as_=api.theirs
        )
    ).json()
    assert (await api.call("DELETE", f"/api/v1/knowledge/{theirs['id']}")).status_code == 404
    assert (await api.call("DELETE", f"/api/v1/knowledge/{uuid.uuid4()}")).status_code == 404
    deleted = await api.call("DELETE", f"/api/v1/knowledge/{ours['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await api.call("GET", "/api/v1/knowledge")).json()["total"] == 0
    assert (await api.call("GET", "/api/v1/knowledge", as_=api.theirs)).json()["total"] == 1
