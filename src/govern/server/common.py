"""What the API and the pages share: the caller's role check, paging, ETags, today's date."""

from __future__ import annotations

import datetime as _dt
import hashlib
from typing import Any

from fastapi import HTTPException, Request
from starlette.responses import Response

from govern.output.documents import json_bytes
from govern.server.auth import Principal

MAX_LIMIT = 500


def need(request: Request, role: str) -> Principal:
    """The caller, if their role is at least ``role``; else 403 (they are known, just not allowed)."""
    principal: Principal | None = request.state.principal
    if principal is None:
        raise HTTPException(401, "authentication required")
    if not principal.may(role):
        raise HTTPException(403, f"this needs the {role} role; you are a {principal.role}")
    return principal


def today(as_of: _dt.date | None = None) -> _dt.date:
    """The views' date: UTC today, as `govern status` takes it, unless the caller asks for another."""
    return as_of or _dt.datetime.now(_dt.timezone.utc).date()


def page_of(items: list[Any], offset: int, limit: int) -> tuple[list[Any], dict[str, Any]]:
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    chunk = items[offset:offset + limit]
    return chunk, paging(len(items), offset, limit)


def paging(total: int, offset: int, limit: int) -> dict[str, Any]:
    return {"offset": offset, "limit": limit, "total": total,
            "next": offset + limit if offset + limit < total else None,
            "previous": max(0, offset - limit) if offset > 0 else None}


def etagged(request: Request, body: bytes, media_type: str, status: int = 200,
            headers: dict[str, str] | None = None) -> Response:
    """A response with a strong ETag of its bytes; 304 when the client already holds them."""
    tag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
    held = request.headers.get("if-none-match", "")
    if status == 200 and tag in [t.strip() for t in held.split(",")]:
        return Response(status_code=304, headers={"etag": tag})
    return Response(body, status_code=status, media_type=media_type, headers={"etag": tag, **(headers or {})})


def json_response(request: Request, data: Any, status: int = 200) -> Response:
    return etagged(request, json_bytes(data), "application/json", status)
