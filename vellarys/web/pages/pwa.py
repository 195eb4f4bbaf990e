"""What makes the dashboard an installable app: the web app manifest, the service worker (at
the site's root, so it controls every page) and the page it shows when the network is gone."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, JSONResponse

from vellarys.web.render import render
from vellarys.web.route import WebRoute

router = APIRouter(route_class=WebRoute)
SERVICE_WORKER = Path(__file__).resolve().parents[1] / "static" / "sw.js"

MANIFEST = {
    "name": "Vellarys",
    "short_name": "Vellarys",
    "description": "Leads, conversas e visitas da sua imobiliária.",
    "lang": "pt-BR",
    "id": "/",
    "start_url": "/",
    "scope": "/",
    "display": "standalone",
    "background_color": "#f5f6f8",
    "theme_color": "#1d2433",
    "icons": [
        {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
        {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
        {
            "src": "/static/icons/icon-512.png",
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ],
}


@router.get("/manifest.webmanifest")
async def manifest() -> Response:
    return JSONResponse(MANIFEST, media_type="application/manifest+json")


@router.get("/sw.js")
async def service_worker() -> Response:
    # Never cached by the browser's HTTP cache: a new version must reach every phone.
    return FileResponse(
        SERVICE_WORKER,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get("/offline")
async def offline(request: Request) -> Response:
    return render(request, "offline.html")
