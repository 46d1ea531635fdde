"""What the pages and the API show, computed by the same code as the CLI, over one open store.

* The inventory is :func:`govern.record.views.inventory_item` over the newest evaluation event
  of each use case -- the events `govern status` reads, each checked against its own hash. The
  events are kept between requests and brought up to date incrementally: the log only grows,
  so a request reads the head (one row) and, if it moved, only the evaluation and registration
  events appended since. The 4,000-model portfolio then costs a filter and a sort per request
  (benchmarks/bench_console.py), not a re-read of 4,000 events.
* A use case's history is :func:`govern.record.views.history`; a decision is
  ``Store.decision`` (its JSON checked against the event that recorded it); the audit result
  is ``Store.verify_chain`` -- exactly `govern audit verify` -- cached until the head moves.
* A signed record is verified with :func:`govern.sign.verify.verify_record` against the served
  pack whose digest it names, as `govern sign` checks a record before storing it.
"""

from __future__ import annotations

import datetime as _dt
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from sqlalchemy import func, select

from govern.record.engine import read
from govern.record.recorded import Recorded, events, latest_evaluations
from govern.record.tables import EVENT, LOG
from govern.record.views import InventoryItem, history, inventory_item

if TYPE_CHECKING:
    from govern.policy.pack import Policy
    from govern.record.chain import ChainReport
    from govern.record.store import Store

DEFAULT_DAYS = 30  # `govern status --expiring-within`'s default
SORTS = ("use_case", "name", "tier", "stage", "recorded", "pending", "expiring", "pack")


@dataclass
class Pack:
    policy: "Policy"
    path: Path

    @property
    def digest(self) -> str:
        return self.policy.digest


class Snapshot:
    """The newest evaluation event per use case and the registered owner, as of log size ``size``."""

    def __init__(self) -> None:
        self.size = -1
        self.last_seq = 0
        self.latest: dict[str, Recorded] = {}
        self.owners: dict[str, str] = {}
        #: sign-offs stored since each use case's newest evaluation: they count at its next check
        self.signed_since: dict[str, list[dict[str, Any]]] = {}
        #: (today, days) → use case → its line; lines of use cases without a new evaluation carry over
        self.items: dict[tuple[_dt.date, int], dict[str, InventoryItem]] = {}
        self.changed: set[str] = set()
        self.ordered: dict[tuple[_dt.date, int], list[InventoryItem]] = {}


class Console:
    """One store and the packs `govern serve --policy` named; thread-safe (requests run in a thread pool)."""

    def __init__(self, store: "Store", packs: Iterable[Pack] = ()) -> None:
        self.store = store
        self.packs = list(packs)
        self._snap = Snapshot()
        self._lock = threading.Lock()
        self._audit: tuple[tuple[int, str], "ChainReport"] | None = None
        self._audit_lock = threading.Lock()

    # -- packs -----------------------------------------------------------------------------
    def pack(self, digest: str | None) -> Pack | None:
        return next((p for p in self.packs if p.digest == digest), None)

    # -- the head ---------------------------------------------------------------------------
    def head(self) -> tuple[int, str]:
        """(log size, chain head): what every cache and ETag of the console is keyed on."""
        with read(self.store.engine) as conn:
            row = conn.execute(select(LOG.c.size, LOG.c.chain_head)).first()
        return (int(row.size), row.chain_head) if row is not None else (0, "")

    # -- inventory --------------------------------------------------------------------------
    def _refresh(self) -> Snapshot:
        with self._lock:
            snap = self._snap
            with read(self.store.engine) as conn:
                size = conn.execute(select(LOG.c.size)).scalar() or 0
                if size == snap.size:
                    return snap
                fresh = Snapshot()
                if snap.size < 0:  # first read: as `govern status` reads it
                    fresh.latest = {r.subject: r for r in latest_evaluations(conn)}
                    found = events(conn, EVENT.c.kind.in_(("registration", "signoff")))
                else:
                    fresh.latest = dict(snap.latest)
                    fresh.owners = dict(snap.owners)
                    fresh.signed_since = {k: list(v) for k, v in snap.signed_since.items()}
                    found = events(conn, EVENT.c.kind.in_(("evaluation", "registration", "signoff")),
                                   EVENT.c.seq > snap.last_seq, EVENT.c.seq < size)
                fresh.items = dict(snap.items)  # lines carried over; replaced, never changed in place
                fresh.changed = set(snap.changed)  # changes no request has folded in yet
                for r in found:
                    if r.kind == "evaluation":
                        fresh.latest[r.subject] = r
                        fresh.changed.add(r.subject)
                        fresh.signed_since.pop(r.subject, None)  # the check read them: its view says what counted
                        continue
                    signed = r.payload.get("payload") or {}
                    if r.kind == "registration":
                        if isinstance(signed.get("owner"), str):
                            fresh.owners[r.subject] = signed["owner"]
                    elif r.subject not in fresh.latest or r.seq > fresh.latest[r.subject].seq:
                        fresh.signed_since.setdefault(r.subject, []).append(
                            {"gate": signed.get("gate"), "role": signed.get("role"), "signer": signed.get("signer"),
                             "decision": signed.get("decision"), "model_digest": signed.get("model_digest"),
                             "event": r.seq})
                fresh.size, fresh.last_seq = size, size - 1
            self._snap = fresh
            return fresh

    def inventory(self, today: _dt.date, days: int) -> list[InventoryItem]:
        """Every use case's line, as `govern status --as-of today --expiring-within days` computes it."""
        snap = self._refresh()
        key = (today, days)
        with self._lock:
            found = snap.ordered.get(key)
            if found is None:
                horizon = today + _dt.timedelta(days=days)
                kept = snap.items.get(key) or {}
                lines = {uc: kept[uc] if uc in kept and uc not in snap.changed else inventory_item(r, today, horizon)
                         for uc, r in snap.latest.items()}
                snap.items = {key: lines}  # one date and horizon kept: the cache stays the size of the inventory
                snap.changed = set()
                found = snap.ordered[key] = [lines[uc] for uc in sorted(lines)]
                if len(snap.ordered) > 4:
                    snap.ordered = {key: found}
            return found

    def owner(self, use_case_id: str) -> str | None:
        return self._refresh().owners.get(use_case_id)

    def owners(self) -> dict[str, str]:
        """use case → owner, as of the snapshot the last :meth:`inventory` call read (no query)."""
        return self._snap.owners

    def select(self, items: list[InventoryItem], *, tier: str | None = None, stage: str | None = None,
               owner: str | None = None, pack: str | None = None, q: str | None = None, sort: str = "use_case",
               descending: bool = False) -> list[InventoryItem]:
        """Filter (exact tier, stage, owner, pack name; ``q`` in id or name, any case) and sort."""
        owners = self.owners()
        needle = (q or "").strip().lower()
        out = [i for i in items
               if (not tier or i.tier == tier)
               and (not stage or (i.furthest_stage or "none") == stage)
               and (not owner or owners.get(i.use_case_id) == owner)
               and (not pack or i.policy.get("name") == pack)
               and (not needle or needle in i.use_case_id.lower() or needle in i.name.lower())]
        keys: dict[str, Callable[[InventoryItem], Any]] = {
            "use_case": lambda i: i.use_case_id, "name": lambda i: (i.name.lower(), i.use_case_id),
            "tier": lambda i: (i.tier, i.use_case_id), "stage": lambda i: (i.furthest_stage or "", i.use_case_id),
            "recorded": lambda i: (i.recorded_at, i.use_case_id), "pending": lambda i: (len(i.pending), i.use_case_id),
            "expiring": lambda i: (len(i.expiring_approvals) + len(i.expiring_waivers), i.use_case_id),
            "pack": lambda i: (str(i.policy.get("name")), i.use_case_id)}
        out.sort(key=keys.get(sort, keys["use_case"]), reverse=descending)
        return out

    def facets(self, items: list[InventoryItem]) -> dict[str, list[str]]:
        owners = self.owners()
        return {"tier": sorted({i.tier for i in items}),
                "stage": sorted({i.furthest_stage or "none" for i in items}),
                "owner": sorted({owners[i.use_case_id] for i in items if i.use_case_id in owners}),
                "pack": sorted({str(i.policy.get("name")) for i in items})}

    # -- one use case -----------------------------------------------------------------------
    def history(self, use_case_id: str) -> dict[str, Any] | None:
        return history(self.store, use_case_id)

    def item(self, use_case_id: str, today: _dt.date, days: int) -> InventoryItem | None:
        return next((i for i in self.inventory(today, days) if i.use_case_id == use_case_id), None)

    def decision(self, evaluation_id: int) -> dict[str, Any]:
        """KeyError if unknown; LogAltered if its JSON is not what its event recorded."""
        return self.store.decision(evaluation_id)

    def signed_state(self, kind: str, record_id: int) -> dict[str, Any]:
        """Whether a stored record's signature verifies against the pack it names (as evaluation checks it)."""
        from govern.sign.verify import verify_record

        record = self.store.signed_record(kind, record_id)
        if record is None:
            return {"verified": False, "problem": "not in the store"}
        pack = self.pack(record.payload.get("policy_digest"))
        if pack is None:
            digest = str(record.payload.get("policy_digest") or "?")
            return {"verified": None, "problem": f"signed under pack {digest[7:19]}, which this console does not "
                                                 "serve (--policy): not checked"}
        verdict = verify_record(pack.policy, record)
        return {"verified": verdict.verified, "problem": verdict.problem, "key_fingerprint": verdict.key_fingerprint}

    # -- queue and expiring -----------------------------------------------------------------
    def queue(self, today: _dt.date, *, person: str | None = None, role: str | None = None) -> list[dict[str, Any]]:
        """Pending sign-offs of every use case's latest decision, and open requests, oldest first.

        A sign-off stored since that decision (for the same model) is listed with the entry: it
        counts at the next `govern check`. A person's queue leaves out what they have signed.
        """
        out = []
        since = self._refresh().signed_since
        for item in self.inventory(today, DEFAULT_DAYS):  # pending does not depend on the horizon: share the lines
            pack = self.pack(item.policy.get("digest"))
            for p in item.pending:
                holders = pack.policy.holders(p["role"]) if pack else []
                if role and p["role"] != role:
                    continue
                if person and person not in holders:
                    continue
                signed = [s for s in since.get(item.use_case_id, []) if s["gate"] == p["gate"]
                          and s["role"] == p["role"] and s["model_digest"] == item.model.get("digest")]
                if person and any(s["signer"] == person for s in signed):
                    continue
                out.append({"use_case": item.use_case_id, "name": item.name, "tier": item.tier, "gate": p["gate"],
                            "role": p["role"], "status": p["status"], "approved": p["approved"],
                            "required": p["required"], "waiting_since": item.recorded_at.isoformat(),
                            "evaluation": item.evaluation_id, "model": item.model, "policy": item.policy,
                            "holders": list(holders), "person": None, "request": None, "due": None, "signed_since": signed,
                            "command": sign_command(item.use_case_id, item.policy, item.model, p["gate"],
                                                    p["role"], pack, person)})
        pending = {(r["use_case"], r["gate"], r["role"]): r for r in out}
        for request in open_requests(self):
            if (role and role not in (request["role"], request["holds"])) or (
                    person and person not in request["holders"]):
                continue
            same = pending.get((request["use_case"], request["gate"], request["role"]))
            if same is not None and same["request"] is None and request["person"] is None:
                # anyone holding the role asked for what the decision awaits: one row
                same.update(request=request["request"], due=request["due"])
            else:
                out.append(request)
        out.sort(key=lambda r: (r["waiting_since"], r["use_case"], r["gate"], r["role"]))
        return out

    def expiring(self, today: _dt.date, days: int) -> list[dict[str, Any]]:
        out = []
        for item in self.inventory(today, days):
            for a in item.expiring_approvals:
                out.append({"kind": "approval", "use_case": item.use_case_id, "name": item.name, "what":
                            f"{a['gate']} sign-off by {a['role']}", "who": a["signer"], "expires": a["expires"],
                            "expired": a["expired"]})
            for w in item.expiring_waivers:
                out.append({"kind": "waiver", "use_case": item.use_case_id, "name": item.name, "what": w["check"],
                            "who": w["approver"], "expires": w["expires"], "expired": w["expired"]})
        out.sort(key=lambda x: (x["expires"], x["use_case"], x["what"]))
        return out

    # -- audit ------------------------------------------------------------------------------
    def verification(self) -> "ChainReport":
        """`govern audit verify` over the store, recomputed when the head moves (one at a time)."""
        with self._audit_lock:
            head = self.head()
            if self._audit is None or self._audit[0] != head:
                self._audit = (head, self.store.verify_chain())
            return self._audit[1]

    def audit_events(self, offset: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        """(number of events, the newest first page of them): the log's own columns, nothing parsed."""
        with read(self.store.engine) as conn:
            total = conn.execute(select(func.count()).select_from(EVENT)).scalar() or 0
            rows = conn.execute(select(EVENT.c.seq, EVENT.c.kind, EVENT.c.subject, EVENT.c.record_id,
                                       EVENT.c.recorded_at, EVENT.c.prev_hash, EVENT.c.hash)
                                .order_by(EVENT.c.seq.desc()).offset(offset).limit(limit)).all()
        return int(total), [dict(r._mapping) for r in rows]

    # -- policy -----------------------------------------------------------------------------
    def policy_versions(self) -> list[dict[str, Any]]:
        """Every pack version the store has recorded decisions under, from its registration event."""
        with read(self.store.engine) as conn:
            found = list(events(conn, EVENT.c.kind == "policy"))
        return [{"name": r.payload.get("name"), "version": r.payload.get("version"), "digest": r.payload.get("digest"),
                 "event": r.seq} for r in found]

    def policy_diffs(self) -> list[dict[str, Any]]:
        """`govern diff` between consecutive served versions of each pack (as --policy gave them)."""
        from govern.diff import diff_policies, render_text

        by_name: dict[str, list[Pack]] = {}
        for p in self.packs:
            by_name.setdefault(p.policy.name, []).append(p)
        out = []
        for name, versions in sorted(by_name.items()):
            for old, new in zip(versions, versions[1:]):
                result = diff_policies(old.policy, new.policy)
                out.append({"name": name, "old": old.policy.version, "new": new.policy.version,
                            "old_digest": old.digest, "new_digest": new.digest, "differs": result.differs,
                            "diff": result.to_dict(), "text": render_text(result)})
        return out


def open_requests(console: Console) -> list[dict[str, Any]]:
    """Open sign-off requests (`govern request`), each shaped as a queue entry.

    Which requests are open is re-derived by govern.notify from the verified sign-offs recorded
    after each request, with the served packs' keys: the console keeps no flag of its own.
    """
    from govern.notify.requests import open_requests as recorded

    by_name = {p.policy.name: p for p in console.packs}
    out: list[dict[str, Any]] = []
    for r in recorded(console.store, [p.policy for p in console.packs]):
        pack = console.pack(r.policy.get("digest")) or by_name.get(r.policy.get("name", ""))
        holders = [r.person] if r.person else (list(pack.policy.holders(r.holds)) if pack else [])
        out.append({"use_case": r.use_case, "name": None, "tier": r.tier, "gate": r.gate, "role": r.role,
                    "holds": r.holds, "person": r.person, "status": None, "waiting_since": r.requested_at.isoformat(),
                    "evaluation": None, "model": None, "policy": r.policy, "holders": holders,
                    "request": r.id, "due": r.due.isoformat() if r.due else None, "signed_since": [],
                    "command": sign_command(r.use_case, r.policy, None, r.gate, r.role, pack, r.person)})
    return out


def sign_command(use_case_id: str, policy: dict[str, Any], model: dict[str, Any] | None, gate: str, role: str,
                 pack: Pack | None, person: str | None) -> str:
    """The `govern sign` command that answers a pending sign-off (paths the store cannot know left as <...>)."""
    import shlex

    signer = person or "<your-id>"
    where = str(pack.path) if pack else f"<pack {policy.get('name')} {policy.get('version')}>"
    digest = str((model or {}).get("digest", ""))[7:19]
    parts = ["govern", "sign", f"<{use_case_id}.yaml>", "--policy", where,
             "--evidence", f"<evidence of model {digest}>" if digest else "<evidence folder>",
             "--gate", gate, "--role", role, "--decision", "approve", "--key", signer, "--signer", signer]
    return " ".join(p if p.startswith("<") else shlex.quote(p) for p in parts)


def load_packs(paths: Iterable[Path]) -> list[Pack]:
    from govern.load.pack import load_policy

    return [Pack(load_policy(p), Path(p)) for p in paths]
