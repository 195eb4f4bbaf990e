"""The versioned REST API, ``/api/v1``, authenticated by per-agency API keys."""

from fastapi import APIRouter

from vellarys.api.v1 import handoffs, knowledge, leads, properties

router = APIRouter(prefix="/api/v1")
router.include_router(leads.router)
router.include_router(properties.router)
router.include_router(knowledge.router)
router.include_router(handoffs.router)

__all__ = ["router"]
