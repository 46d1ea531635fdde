"""The console's pages: server-rendered HTML (Jinja2, `templates/`), no script, the report's look.

Each page is the API's data with a table around it; the same role rule applies (viewers the
inventory, auditors decisions and the audit log, admins tokens). Forms (login, logout, token
administration, posting a signed record) carry the CSRF token and are checked here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from govern.output.documents import json_bytes
from govern.server import auth, csrf
from govern.server.common import etagged, need, page_of, paging, today
from govern.server.data import SORTS

router = APIRouter(include_in_schema=False)
HERE = Path(__file__).resolve().parent
MAX_FORM = 128 * 1024
_templates: Any = None


def templates() -> Any:
    global _templates
    if _templates is None:
        from starlette.templating import Jinja2Templates

        _templates = Jinja2Templates(directory=str(HERE / "templates"))
        _templates.env.globals["short"] = lambda d: str(d or "").split(":", 1)[-1][:12]
        _templates.env.filters["when"] = lambda t: str(t or "")[:16].replace("T", " ")
        _templates.env.filters["value"] = lambda v: v if isinstance(v, str) else json_bytes(v).decode()
    return _templates


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    principal = getattr(request.state, "principal", None)
    body = templates().get_template(name).render(request=request, principal=principal, csrf=request.state.csrf,
                                                 path=request.url.path, **context)
    return etagged(request, body.encode("utf-8"), "text/html; charset=utf-8", status)


def denied(request: Request, status: int, message: str, api: bool) -> Response:
    """An error answer: JSON for the API, a page (or the login form, for a browser without credentials) otherwise."""
    if api:
        headers = {"www-authenticate": 'Bearer realm="govern"'} if status == 401 else {}
        return Response(json_bytes({"error": message, "status": status}), status_code=status,
                        media_type="application/json", headers=headers)
    if status == 401 and request.method == "GET" and message == "authentication required":
        return RedirectResponse("/login?" + urlencode({"next": request.url.path}), status_code=303)
    body = templates().get_template("error.html").render(request=request, principal=None, csrf=request.state.csrf,
                                                         path=request.url.path, status=status, message=message)
    return Response(body, status_code=status, media_type="text/html; charset=utf-8")


async def form(request: Request) -> dict[str, str]:
    """An urlencoded form (no file uploads anywhere), CSRF-checked: a forged post is refused before it is read."""
    raw = await request.body()
    if len(raw) > MAX_FORM:
        raise HTTPException(413, "form too large")
    fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()}
    if not csrf.matches(request.cookies.get(csrf.COOKIE), fields.get(csrf.FIELD)):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and submit again")
    return fields


def _console(request: Request) -> Any:
    return request.app.state.console


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/inventory"


# -- sign in and out ------------------------------------------------------------------------
@router.get("/healthz")
def healthz() -> Response:
    return Response("ok\n", media_type="text/plain")


@router.get("/")
def home() -> Response:
    return RedirectResponse("/inventory", status_code=303)


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=_safe_next(next), problem=None)


@router.post("/login")
async def login(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    fields = await form(request)
    token = fields.get("token", "").strip()
    target = _safe_next(fields.get("next"))
    app = request.app
    limiter = app.state.limiter
    peer = request.client.host if request.client else "?"
    wait = limiter.retry_after(peer)
    if wait is not None:
        response = render(request, "login.html", 429, next=target, problem="Too many failed attempts: wait a minute.")
        response.headers["retry-after"] = str(wait)
        return response
    from govern.server.tokens import lookup

    info = await run_in_threadpool(lookup, _console(request).store, token) if token else None
    if info is None:
        limiter.failed(peer)
        return render(request, "login.html", 401, next=target, problem="Unknown or revoked token.")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(auth.TOKEN_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await form(request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.TOKEN_COOKIE, path="/")
    return response


# -- inventory ------------------------------------------------------------------------------
@router.get("/inventory")
def inventory_page(request: Request, tier: str = "", stage: str = "", owner: str = "", pack: str = "", q: str = "",
                   sort: str = "use_case", order: str = "asc", offset: int = 0, limit: int = 50,
                   days: int = 30) -> Response:
    need(request, "viewer")
    console = _console(request)
    days = max(0, min(days, 3650))
    day = today()
    everything = console.inventory(day, days)
    items = console.select(everything, tier=tier or None, stage=stage or None, owner=owner or None,
                           pack=pack or None, q=q or None, sort=sort, descending=order == "desc")
    chunk, page = page_of(items, offset, limit)
    query = {"tier": tier, "stage": stage, "owner": owner, "pack": pack, "q": q, "days": days}
    kept = {k: v for k, v in query.items() if v not in ("", None)}
    known = console.owners()
    owners = {i.use_case_id: known.get(i.use_case_id) for i in chunk}
    return render(request, "inventory.html", items=chunk, page=page, facets=console.facets(everything),
                  query=query, sort=sort, order=order, kept=kept, urlencode=urlencode, owners=owners, today=day,
                  total=len(everything), sorts=SORTS)


# -- one use case ---------------------------------------------------------------------------
def _latest_per_stage(history: dict[str, Any]) -> list[dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for e in history["evaluations"]:
        latest[e["target"]] = e
    return sorted(latest.values(), key=lambda e: e["id"])


def _facts(decision: dict[str, Any]) -> list[tuple[str, Any]]:
    """The descriptor's answers the classification read (what the decision recorded of them)."""
    facts: dict[str, Any] = {}
    for rule in (decision.get("classification") or {}).get("rules", []):
        for name, value in (rule.get("reads") or {}).items():
            if name.startswith("use_case."):
                facts[name.removeprefix("use_case.")] = value if isinstance(value, str) else json_bytes(value).decode()
    return sorted(facts.items())


@router.get("/use-cases/{use_case_id}")
def use_case_page(request: Request, use_case_id: str) -> Response:
    principal = need(request, "viewer")
    console = _console(request)
    data = console.history(use_case_id)
    if data is None:
        raise HTTPException(404, f"no use case {use_case_id!r} in the store")
    latest = data["evaluations"][-1] if data["evaluations"] else None
    decision = console.decision(latest["id"]) if latest else None
    states = {(r["kind"], r["id"]): console.signed_state(r["kind"], r["id"]) for r in data["signed_records"]}
    timeline = sorted([{"at": e["recorded_at"], "kind": "evaluation", "entry": e} for e in data["evaluations"]]
                      + [{"at": r["signed_at"], "kind": r["kind"], "entry": r} for r in data["signed_records"]],
                      key=lambda x: (x["at"], x["entry"].get("event") or 0), reverse=True)
    return render(request, "use_case.html", case=data["use_case"], latest=latest, decision=decision,
                  facts=_facts(decision) if decision else [], per_stage=_latest_per_stage(data),
                  signed=data["signed_records"], states=states, timeline=timeline,
                  owner=console.owner(use_case_id), auditor=principal.may("auditor"),
                  graph_alt=_graph(console, decision).alt if decision and decision.get("gates") else None)


def _graph(console: Any, decision: dict[str, Any]) -> Any:
    from govern.report import diagrams
    from govern.report.render import load_theme, template_dirs
    from govern.report.sections.gates import build_gate_edges

    pack = console.pack((decision.get("policy") or {}).get("digest"))
    gates = []
    for g in decision["gates"]:
        checks = g.get("checks") or []
        signoffs = g.get("signoffs") or []
        lines = [f"{sum(1 for c in checks if c['status'] in ('passed', 'warned', 'waived'))}/{len(checks)} checks"
                 if checks else "no checks"]
        if signoffs:
            lines.append(f"{sum(1 for s in signoffs if s['status'] == 'passed')}/{len(signoffs)} sign-offs")
        gates.append({"id": g["id"], "title": g.get("title") or g["id"], "status": g["status"],
                      "counts_lines": lines})
    edges = build_gate_edges(decision, pack.policy if pack else None, None)
    statuses = ", ".join(f"{g['title']}: {g['status']}" for g in gates)
    return diagrams.gate_graph(gates, edges, load_theme(template_dirs()).get("status", {}),
                               title=f"Gate graph of {decision['use_case']['id']}, in stage order. {statuses}.")


@router.get("/use-cases/{use_case_id}/gate-graph.svg")
def gate_graph(request: Request, use_case_id: str) -> Response:
    from govern.server.security import SVG_CSP

    need(request, "viewer")
    console = _console(request)
    data = console.history(use_case_id)
    if not data or not data["evaluations"]:
        raise HTTPException(404, f"no recorded decision for use case {use_case_id!r}")
    decision = console.decision(data["evaluations"][-1]["id"])
    svg = _graph(console, decision).svg
    if not svg.lstrip().startswith("<?xml"):
        svg = '<?xml version="1.0" encoding="UTF-8"?>\n' + svg
    if "xmlns=" not in svg.split(">", 2)[1]:
        svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    response = etagged(request, svg.encode("utf-8"), "image/svg+xml")
    response.headers["content-security-policy"] = SVG_CSP
    return response


# -- a decision -----------------------------------------------------------------------------
@router.get("/decisions/{evaluation_id}")
def decision_page(request: Request, evaluation_id: int) -> Response:
    need(request, "auditor")
    console = _console(request)
    try:
        decision = console.decision(evaluation_id)
    except KeyError:
        raise HTTPException(404, f"no evaluation #{evaluation_id} in the store") from None
    from govern.server.reports import available

    return render(request, "decision.html", d=decision, evaluation_id=evaluation_id,
                  event=console.store.event_of("evaluation", evaluation_id), report_missing=available())


@router.get("/decisions/{evaluation_id}/decision.json")
def decision_json(request: Request, evaluation_id: int) -> Response:
    need(request, "auditor")
    try:
        decision = _console(request).decision(evaluation_id)
    except KeyError:
        raise HTTPException(404, f"no evaluation #{evaluation_id} in the store") from None
    response = etagged(request, json_bytes(decision, indent=2), "application/json")
    response.headers["content-disposition"] = (f'attachment; filename="{decision["use_case"]["id"]}-evaluation-'
                                               f'{evaluation_id}.json"')
    return response


@router.get("/decisions/{evaluation_id}/report.pdf")
def decision_pdf(request: Request, evaluation_id: int) -> Response:
    need(request, "auditor")
    from govern.server.reports import recorded_pdf

    pdf, name = recorded_pdf(_console(request), evaluation_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


# -- queue, expiring ------------------------------------------------------------------------
@router.get("/queue")
def queue_page(request: Request, person: str = "", role: str = "", offset: int = 0, limit: int = 50) -> Response:
    need(request, "viewer")
    console = _console(request)
    rows = console.queue(today(), person=person or None, role=role or None)
    chunk, page = page_of(rows, offset, limit)
    people = sorted({p.id for pack in console.packs for p in pack.policy.manifest.people})
    roles = sorted({r for pack in console.packs for r in pack.policy.manifest.roles})
    return render(request, "queue.html", rows=chunk, page=page, person=person, role=role, people=people,
                  roles=roles, kept={k: v for k, v in {"person": person, "role": role}.items() if v},
                  urlencode=urlencode)


@router.get("/expiring")
def expiring_page(request: Request, days: int = 30, offset: int = 0, limit: int = 50) -> Response:
    need(request, "viewer")
    days = max(0, min(days, 3650))
    day = today()
    rows = _console(request).expiring(day, days)
    chunk, page = page_of(rows, offset, limit)
    return render(request, "expiring.html", rows=chunk, page=page, days=days, today=day, kept={"days": days},
                  urlencode=urlencode)


# -- audit, policy --------------------------------------------------------------------------
@router.get("/audit")
def audit_page(request: Request, offset: int = 0, limit: int = 50) -> Response:
    need(request, "auditor")
    console = _console(request)
    report = console.verification()
    limit = max(1, min(limit, 500))
    total, rows = console.audit_events(max(0, offset), limit)
    return render(request, "audit.html", report=report, rows=rows, page=paging(total, max(0, offset), limit),
                  kept={}, urlencode=urlencode)


@router.get("/policy")
def policy_page(request: Request) -> Response:
    need(request, "viewer")
    console = _console(request)
    return render(request, "policy.html", packs=console.packs, recorded=console.policy_versions(),
                  diffs=console.policy_diffs())


# -- posting a signed record ----------------------------------------------------------------
@router.get("/submit")
def submit_page(request: Request) -> Response:
    need(request, "viewer")
    return render(request, "submit.html", result=None, problems=None, text="")


@router.post("/submit")
async def submit_form(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    from govern.server.submit import Refused, submit

    need(request, "viewer")
    fields = await form(request)
    text = fields.get("record", "")
    try:
        stored = await run_in_threadpool(submit, _console(request), text.encode("utf-8"))
    except Refused as exc:
        return render(request, "submit.html", exc.status, result=None, problems=exc.diagnostics, text=text)
    return render(request, "submit.html", 201 if stored.created else 200, result=stored, problems=None, text="")


# -- tokens (admins) ------------------------------------------------------------------------
@router.get("/tokens")
def tokens_page(request: Request) -> Response:
    need(request, "admin")
    from govern.server.tokens import listing

    return render(request, "tokens.html", tokens=listing(_console(request).store), created=None, problem=None)


@router.post("/tokens")
async def tokens_form(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    from govern.errors import GovernError
    from govern.server.tokens import create, listing, revoke

    need(request, "admin")
    fields = await form(request)
    store = _console(request).store
    created, problem, status = None, None, 200
    try:
        if fields.get("action") == "revoke":
            await run_in_threadpool(revoke, store, fields.get("name", ""))
        else:
            created = await run_in_threadpool(create, store, fields.get("name", ""), fields.get("role", "viewer"))
            status = 201
    except GovernError as exc:
        problem, status = exc.diagnostics[0].message, 422
    response = render(request, "tokens.html", status, tokens=listing(store), created=created, problem=problem)
    response.headers["cache-control"] = "no-store"
    return response
