"""POST /api/tolerance: does my situation qualify for 容错? A cited checklist, not a verdict."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from assistant.api.deps import get_retriever
from assistant.api.schemas import ErrorResponse
from assistant.api.tolerance_schemas import ToleranceRequest, ToleranceResponse

router = APIRouter(tags=["容错初筛"])
_building = threading.Lock()


def get_tolerance(request: Request):
    """The app's ToleranceService (built in the lifespan, else on first use), or why there is none."""
    service = getattr(request.app.state, "tolerance", None)
    if service is None:
        retriever = get_retriever(request)
        from assistant.tolerance.service import ToleranceService

        with _building:
            service = getattr(request.app.state, "tolerance", None)
            if service is None:
                service = ToleranceService.from_settings(request.app.state.settings, retriever)
                request.app.state.tolerance = service
    return service


@router.post("/api/tolerance", response_model=ToleranceResponse,
             responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}})
async def tolerance(body: ToleranceRequest, service: Annotated[object, Depends(get_tolerance)],
                    request: Request) -> ToleranceResponse:
    """Factors read from the situation, an outlook with cited reasoning, the rules, similar cases,
    the procedure and what still needs saying. The decision rests with the Party organisation."""
    result = await run_in_threadpool(service.assess, body.situation)
    request.app.state.question_log.tolerance(request, body.situation, result)
    return ToleranceResponse.model_validate(result.to_dict())
