"""What govern wrote at schema revision 0001 (before the Merkle log), to build real old stores to upgrade.

A faithful copy of the 0001 writer (govern.record.store at commit 280909a), on tables
reflected from a database migrated to 0001 only: registries, the evaluation and its result
rows, signed records, and version 1 events whose hash covers the previous one and a few
columns of the record. Only the upgrade test uses it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa

from govern.record import chain
from govern.record.engine import MIGRATION_LOCK, make_engine, write
from govern.record.migrate import run_alembic
from govern.record.store import furthest_stage

UTC = dt.timezone.utc


class LegacyStore:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        with write(self.engine, lock=MIGRATION_LOCK) as conn:
            run_alembic(conn, "0001")
        meta = sa.MetaData()
        with self.engine.connect() as conn:
            self.t = {name: sa.Table(name, meta, autoload_with=conn) for name in (
                "use_case", "model_version", "policy_version", "evaluation", "gate_result", "check_result",
                "signoff_result", "approval", "signoff", "waiver", "audit_event")}

    def close(self) -> None:
        self.engine.dispose()

    def _append(self, conn: sa.Connection, kind: str, subject: str, payload: Any, at: dt.datetime) -> int:
        e = self.t["audit_event"]
        head = conn.execute(sa.select(e.c.seq, e.c.hash).order_by(e.c.seq.desc()).limit(1)).first()
        seq, prev = (head.seq + 1, head.hash) if head else (1, chain.GENESIS)
        text = chain.payload_text(payload)
        digest = chain.sha256_text(text.encode("utf-8"))
        recorded_at = at.astimezone(UTC).isoformat()
        conn.execute(sa.insert(e).values(
            seq=seq, kind=kind, subject=subject, payload_digest=digest, payload_json=text, prev_hash=prev,
            hash=chain.v1_hash(seq, kind, subject, json.loads(text), digest, prev, recorded_at),
            recorded_at=recorded_at))
        return seq

    def _use_case(self, conn: sa.Connection, use_case_id: str, name: str, at: dt.datetime) -> None:
        t = self.t["use_case"]
        current = conn.execute(sa.select(t.c.name).where(t.c.id == use_case_id)).first()
        if current is None:
            conn.execute(sa.insert(t).values(id=use_case_id, name=name, created_at=at))
        elif current.name != name and name != use_case_id:
            conn.execute(sa.update(t).where(t.c.id == use_case_id).values(name=name))

    def _registered(self, conn: sa.Connection, table: str, digest: str, at: dt.datetime, **values: Any) -> int:
        t = self.t[table]
        found = conn.execute(sa.select(t.c.id).where(t.c.digest == digest)).scalar()
        if found is not None:
            return int(found)
        return int(conn.execute(sa.insert(t).values(digest=digest, created_at=at, **values)
                                .returning(t.c.id)).scalar_one())

    def _policy(self, conn: sa.Connection, policy: dict[str, str], at: dt.datetime) -> int:
        t = self.t["policy_version"]
        found = conn.execute(sa.select(t.c.id).where(t.c.digest == policy["digest"])).scalar()
        if found is not None:
            return int(found)
        pid = self._registered(conn, "policy_version", policy["digest"], at, name=policy["name"],
                               version=policy["version"])
        self._append(conn, "policy", policy["name"], {"record": "policy_version", "id": pid, "name": policy["name"],
                                                      "version": policy["version"], "digest": policy["digest"]}, at)
        return pid

    def record_decision(self, decision: Any, at: dt.datetime | None = None) -> int:
        at = at or dt.datetime.now(UTC)
        data = decision.to_dict()
        with write(self.engine) as conn:
            self._use_case(conn, decision.use_case_id, decision.use_case_name, at)
            model = data["model"] or {}
            mid = self._registered(conn, "model_version", decision.model_digest, at, name=model.get("name"),
                                   version=model.get("version"))
            pid = self._policy(conn, decision.policy, at)
            stage = furthest_stage([(g.id, g.status) for g in decision.gates])
            decision_json = chain.payload_text(data)
            t = self.t["evaluation"]
            eid = conn.execute(sa.insert(t).values(
                use_case_id=decision.use_case_id, model_version_id=mid, policy_version_id=pid,
                decision_digest=decision.digest, use_case_digest=decision.use_case_digest,
                evidence_digest=decision.evidence_digest, plan_digest=decision.plan_digest, tier=decision.tier,
                target=decision.target, allowed=decision.allowed, furthest_stage=stage, as_of=decision.as_of,
                recorded_at=at, govern_version=decision.govern_version, decision_json=decision_json,
            ).returning(t.c.id)).scalar_one()
            for position, gate in enumerate(data["gates"]):
                conn.execute(sa.insert(self.t["gate_result"]).values(
                    evaluation_id=eid, position=position, gate=gate["id"], status=gate["status"]))
                for c in gate["checks"]:
                    waiver = c.get("waiver") or {}
                    conn.execute(sa.insert(self.t["check_result"]).values(
                        evaluation_id=eid, gate=gate["id"], check_id=c["id"], kind=c["kind"], status=c["status"],
                        enforcement=c["enforcement"], waiver_approver=waiver.get("approver"),
                        waiver_expires=dt.date.fromisoformat(waiver["expires"]) if waiver.get("expires") else None))
                for s in gate["signoffs"]:
                    counted = [a for a in s["approvals"] if a.get("decision", "approve") == "approve"]
                    conn.execute(sa.insert(self.t["signoff_result"]).values(
                        evaluation_id=eid, gate=s["gate"], role=s["role"], required=s["required"],
                        approved=len(counted), status=s["status"]))
                    for a in s["approvals"]:
                        conn.execute(sa.insert(self.t["approval"]).values(
                            evaluation_id=eid, gate=s["gate"], role=s["role"], signer=a["signer"],
                            decision=a.get("decision", "approve"),
                            signed_at=dt.datetime.fromisoformat(a["signed_at"]).astimezone(UTC),
                            expires=dt.date.fromisoformat(a["expires"]) if a.get("expires") else None,
                            key_fingerprint=a.get("key_fingerprint")))
            conn.execute(sa.update(self.t["use_case"]).where(self.t["use_case"].c.id == decision.use_case_id)
                         .values(latest_evaluation_id=eid))
            self._append(conn, "evaluation", decision.use_case_id, {
                "record": "evaluation", "id": eid, "decision_digest": decision.digest,
                "decision_sha256": chain.sha256_text(decision_json.encode("utf-8")), "tier": decision.tier,
                "target": decision.target, "allowed": decision.allowed, "furthest_stage": stage,
                "as_of": decision.as_of.isoformat(), "model_digest": decision.model_digest,
                "policy_digest": decision.policy["digest"]}, at)
            return eid

    def add_signed(self, record: Any, at: dt.datetime | None = None) -> int:
        from govern.record.signed import columns_of

        at = at or dt.datetime.now(UTC)
        t = self.t[record.kind]
        canonical = record.signed_bytes()
        columns = columns_of(record)
        digest = chain.sha256_text(canonical)
        with write(self.engine) as conn:
            self._use_case(conn, columns["use_case_id"], columns["use_case_id"], at)
            rid = conn.execute(sa.insert(t).values(**columns, signature=record.signature, payload_digest=digest,
                                                   canonical_payload=canonical.decode("utf-8"), recorded_at=at)
                               .returning(t.c.id)).scalar_one()
            self._append(conn, record.kind, columns["use_case_id"], {
                "record": record.kind, "id": rid, "payload": record.payload, "signature": record.signature,
                "payload_digest": digest}, at)
            return int(rid)

    def record_report(self, use_case_id: str, decision_digest: str) -> int:
        with write(self.engine) as conn:
            return self._append(conn, "report", use_case_id, {
                "decision_digest": decision_digest, "pdf_sha256": "sha256:" + "ab" * 32, "file": "report.pdf",
                "evaluation": 1}, dt.datetime.now(UTC))

    def events(self) -> list[Any]:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(self.t["audit_event"]).order_by(self.t["audit_event"].c.seq)).all()
