"""`/api/v1/`: the console's data as JSON, in the shapes the CLI's `-f json` prints, and the one write.

Lists are paged (``offset``, ``limit`` ≤ 500, and a ``page`` member: total, next, previous);
every answer carries an ETag (``If-None-Match`` → 304). Roles: viewer for the inventory,
use cases and their history, the queue, what expires and the packs; auditor for decisions,
reports and the audit log; admin for tokens and the access log. The only write is POST
``/api/v1/signed-records``: a record that proves itself (:mod:`govern.server.submit`).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import Response

from govern.output.documents import json_bytes, status_document
from govern.server.common import etagged, json_response, need, page_of, paging, today

router = APIRouter(prefix="/api/v1", tags=["console"])


def _console(request: Request) -> Any:
    return request.app.state.console


@router.get("/inventory", summary="The inventory, as `govern status -f json`, filtered, sorted and paged")
def inventory(request: Request, tier: str | None = None, stage: str | None = None, owner: str | None = None,
              pack: str | None = None, q: str | None = Query(None, description="search in id and name"),
              sort: str = "use_case", order: str = Query("asc", pattern="^(asc|desc)$"),
              as_of: _dt.date | None = None, expiring_within: int = Query(30, ge=0, le=3650),
              offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500)) -> Response:
    need(request, "viewer")
    console = _console(request)
    day = today(as_of)
    items = console.select(console.inventory(day, expiring_within), tier=tier, stage=stage, owner=owner, pack=pack,
                           q=q, sort=sort, descending=order == "desc")
    chunk, page = page_of(items, offset, limit)
    from govern.record.views import aggregate

    return json_response(request, {**status_document(chunk, today=day, days=expiring_within, checkpoint=None,
                                                     aggregate=aggregate(items)), "page": page})


@router.get("/use-cases/{use_case_id}", summary="One use case's line of the inventory (an element of `status`)")
def use_case(request: Request, use_case_id: str, as_of: _dt.date | None = None,
             expiring_within: int = Query(30, ge=0, le=3650)) -> Response:
    need(request, "viewer")
    item = _console(request).item(use_case_id, today(as_of), expiring_within)
    if item is None:
        raise HTTPException(404, f"no recorded decision for use case {use_case_id!r}")
    return json_response(request, item.to_dict())


@router.get("/use-cases/{use_case_id}/history", summary="As `govern history USE_CASE -f json`")
def use_case_history(request: Request, use_case_id: str) -> Response:
    need(request, "viewer")
    data = _console(request).history(use_case_id)
    if data is None:
        raise HTTPException(404, f"no use case {use_case_id!r} in the store")
    return json_response(request, data)


@router.get("/decisions/{evaluation_id}", summary="A recorded decision, as `govern check -f json` wrote it")
def decision(request: Request, evaluation_id: int) -> Response:
    need(request, "auditor")
    try:
        data = _console(request).decision(evaluation_id)
    except KeyError:
        raise HTTPException(404, f"no evaluation #{evaluation_id} in the store") from None
    return json_response(request, data)


@router.get("/decisions/{evaluation_id}/report.pdf", summary="The PDF report, as `govern report --evaluation ID`",
            response_class=Response)
def report(request: Request, evaluation_id: int) -> Response:
    need(request, "auditor")
    from govern.server.reports import recorded_pdf

    pdf, name = recorded_pdf(_console(request), evaluation_id)
    return etagged(request, pdf, "application/pdf", headers={"content-disposition": f'attachment; filename="{name}"'})


@router.get("/queue", summary="Pending sign-offs (and open requests), oldest first, with the `govern sign` command")
def queue(request: Request, person: str | None = None, role: str | None = None, offset: int = Query(0, ge=0),
          limit: int = Query(50, ge=1, le=500)) -> Response:
    need(request, "viewer")
    rows = _console(request).queue(today(), person=person, role=role)
    chunk, page = page_of(rows, offset, limit)
    return json_response(request, {"person": person, "role": role, "pending": chunk, "page": page})


@router.get("/expiring", summary="Approvals and waivers ending within DAYS days, soonest first")
def expiring(request: Request, days: int = Query(30, ge=0, le=3650), as_of: _dt.date | None = None,
             offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500)) -> Response:
    need(request, "viewer")
    day = today(as_of)
    rows = _console(request).expiring(day, days)
    chunk, page = page_of(rows, offset, limit)
    return json_response(request, {"as_of": day.isoformat(), "expiring_within_days": days, "expiring": chunk,
                                   "page": page})


@router.get("/audit", summary="The audit verification, as `govern audit verify -f json`")
def audit(request: Request) -> Response:
    need(request, "auditor")
    return json_response(request, _console(request).verification().to_dict())


@router.get("/audit/events", summary="The event log, newest first, paged")
def audit_events(request: Request, offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500)) -> Response:
    need(request, "auditor")
    total, rows = _console(request).audit_events(offset, limit)
    return json_response(request, {"events": rows, "page": paging(total, offset, limit)})


@router.get("/policies", summary="Packs served, pack versions recorded in the store, and what changed between them")
def policies(request: Request) -> Response:
    need(request, "viewer")
    console = _console(request)
    served = [{"name": p.policy.name, "version": p.policy.version, "digest": p.digest, "path": str(p.path)}
              for p in console.packs]
    diffs = [{k: v for k, v in d.items() if k != "text"} for d in console.policy_diffs()]
    return json_response(request, {"served": served, "recorded": console.policy_versions(), "diffs": diffs})


@router.post("/signed-records", status_code=201,
             summary="Store a signed sign-off or waiver record (as `govern sign --out FILE` writes it)",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": {"type": "object"}},
                 "application/yaml": {"schema": {"type": "string"}}}}})
async def signed_records(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    from govern.server.submit import MAX_BYTES, Refused, submit

    need(request, "viewer")
    raw = await _body(request, MAX_BYTES)
    try:
        stored = await run_in_threadpool(submit, _console(request), raw)
    except Refused as exc:
        return Response(json_bytes(exc.to_dict()), status_code=exc.status, media_type="application/json")
    return Response(json_bytes(stored.to_dict()), status_code=201 if stored.created else 200,
                    media_type="application/json")


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes without reading them all."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        chunks.append(chunk)
        if size > limit:  # enough to know it is too large; the rest is never buffered
            break
    return b"".join(chunks)


@router.get("/tokens", summary="Console tokens (never the tokens themselves)")
def tokens(request: Request) -> Response:
    need(request, "admin")
    from govern.server.tokens import listing

    return json_response(request, {"tokens": [t.to_dict() for t in listing(_console(request).store)]})


@router.post("/tokens", status_code=201, summary="Create a token; the answer is the only time it is shown")
def create_token(request: Request, name: str = Query(...), role: str = Query("viewer")) -> Response:
    need(request, "admin")
    from govern.errors import GovernError
    from govern.server.tokens import create

    try:
        info, token = create(_console(request).store, name, role)
    except GovernError as exc:
        return Response(json_bytes({"error": "token refused", "diagnostics": [d.to_dict() for d in exc.diagnostics]}),
                        status_code=422, media_type="application/json")
    return Response(json_bytes({**info.to_dict(), "token": token}), status_code=201, media_type="application/json",
                    headers={"cache-control": "no-store"})


@router.post("/tokens/{name}/revoke", summary="Revoke a token (it stops working at once)")
def revoke_token(request: Request, name: str) -> Response:
    need(request, "admin")
    from govern.errors import GovernError
    from govern.server.tokens import revoke

    try:
        info = revoke(_console(request).store, name)
    except GovernError as exc:
        raise HTTPException(404, exc.diagnostics[0].message) from None
    return json_response(request, info.to_dict())


@router.get("/access-log", summary="Auditors' and admins' requests, newest first")
def access_log(request: Request, offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500)) -> Response:
    need(request, "admin")
    from govern.server.access import entries

    total, rows = entries(_console(request).store, offset, limit)
    return json_response(request, {"entries": rows, "page": paging(total, offset, limit)})
