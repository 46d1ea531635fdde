"""The store on SQLite and PostgreSQL: migrations, round trips, idempotent registration, sources, failures."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest
from sqlalchemy import inspect, select, text

from govern.sign.sources import SignoffSource, Verification, WaiverSource
from govern.record import migrate
from govern.record.config import StoreError, resolve_url
from govern.record.sources import StoreRecords
from govern.sign.sources import unsigned_verifier
from govern.record.store import Store, furthest_stage
from govern.record.tables import metadata
from tests.record import factory


def test_migrations_build_exactly_the_declared_schema(store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with store.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.HEAD
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diffs == []
        assert set(inspect(conn).get_table_names()) >= {t.name for t in metadata.sorted_tables}


def test_head_constant_matches_alembic_scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrate.SCRIPTS))
    script = ScriptDirectory.from_config(config)
    assert script.get_current_head() == migrate.HEAD
    assert {s.revision for s in script.walk_revisions()} == set(migrate.KNOWN)


def test_downgrade_and_reopen_upgrades_again(store_url):
    with Store.open(store_url) as store:
        with store.engine.begin() as conn:
            migrate.run_alembic(conn, "base", down=True)
    with Store.open(store_url) as store:  # opening migrates back to head
        store.record_decision(factory.make_decision())
        assert store.verify_chain().ok


def test_sqlite_pragmas(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'g.db'}") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_record_and_read_back(store):
    decision = factory.make_decision(approvals=(factory.approval(),))
    eid = store.record_decision(decision)
    (summary,) = store.evaluations("credit")
    assert summary.id == eid and summary.allowed and summary.furthest_stage == "monitoring"
    assert summary.model == {"digest": factory.model_digest(1), "name": "credit-model", "version": "1.1.0"}
    assert summary.policy == factory.POLICY and summary.as_of == factory.AS_OF
    assert summary.recorded_at.tzinfo is not None
    stored = store.decision(eid)
    assert stored == decision.to_dict()  # the decision JSON round-trips exactly
    with store.engine.connect() as conn:
        checks = conn.execute(text("SELECT gate, check_id, kind, status FROM check_result WHERE evaluation_id = :e "
                                   "ORDER BY id"), {"e": eid}).all()
        assert [tuple(c) for c in checks] == [("validation", f"c{i}", "metric", "passed") for i in range(3)]
        assert conn.execute(text("SELECT count(*) FROM gate_result")).scalar() == 4
        assert conn.execute(text("SELECT signer FROM approval")).scalar() == "alice"


def test_registration_is_idempotent_and_policy_registration_is_an_event(store):
    for model in (1, 1, 2):
        store.record_decision(factory.make_decision(model=model))
    store.record_decision(factory.make_decision("other"))
    with store.engine.connect() as conn:
        count = lambda table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: E731
        assert (count("use_case"), count("model_version"), count("policy_version"), count("evaluation")) == (2, 2, 1, 4)  # "other" runs model 1 too
    kinds = [e["kind"] for e in store.export_events()]
    assert kinds == ["policy", "evaluation", "evaluation", "evaluation", "evaluation"]
    assert set(store.latest_decisions()) == {"credit", "other"}
    assert store.latest_decisions()["credit"].model["version"] == "1.2.0"


def test_signed_records_round_trip_and_feed_the_evaluator(store):
    record = factory.signoff()
    sid = store.add_signed(record)
    assert store.add_signed(record) == sid  # the same signed record is stored once
    wid = store.add_signed(factory.waiver())
    assert [e["kind"] for e in store.export_events()] == ["signoff", "waiver"]

    calls = []

    def verifier(name, raw, data):
        calls.append((name, raw, dict(data)))
        return Verification(True, None, "fp-verified")

    source = StoreRecords(store).signoff_source(verifier)
    assert isinstance(source, SignoffSource) and isinstance(StoreRecords(store).waiver_source(verifier), WaiverSource)
    (got,) = source.signoffs("credit", "production", "validator")
    assert got.verified and got.signer == "alice" and got.key_fingerprint == "fp-verified"
    assert got.source == f"store:signoff/{sid}" and got.signed_at.tzinfo is not None
    name, raw, data = calls[0]
    assert raw == record.signed_bytes() and data["signature"] == record.signature  # exactly what was signed
    assert source.signoffs("credit", "production", "risk_officer") == []
    (w,) = StoreRecords(store).waiver_source(unsigned_verifier).waivers("credit", "validation.fria")
    assert not w.verified and w.problem == "unsigned record" and w.expires == dt.date(2026, 12, 31)
    assert w.source == f"store:waiver/{wid}" and w.signed_at.tzinfo is not None  # bounds its term

    def crashing(name, raw, data):
        raise RuntimeError("boom")

    (bad,) = StoreRecords(store).signoff_source(crashing).signoffs("credit", "production", "validator")
    assert not bad.verified and "verifier failed" in bad.problem


def test_malformed_signed_record_writes_nothing(store):
    from govern.errors import InputError
    from govern.sign.records import SignedRecord

    broken = factory.signoff()
    with pytest.raises(InputError, match="signed_at"):
        store.add_signed(SignedRecord("signoff", {**broken.payload, "signed_at": "yesterday"}, broken.signature))
    assert list(store.export_events()) == []


def test_failed_write_leaves_nothing(store, monkeypatch):
    from govern.record import store as store_module

    def explode(*args, **kwargs):
        raise RuntimeError("crash after the rows, before the event")

    monkeypatch.setattr(store_module.Appender, "append", explode)
    with pytest.raises(RuntimeError):
        store.record_decision(factory.make_decision())
    with store.engine.connect() as conn:
        for table in ("use_case", "model_version", "evaluation", "gate_result", "check_result", "audit_event"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table


def test_combined_sources_read_bundle_files_and_store(store, tmp_path):
    from govern.evidence.sources import FileSignoffSource, FileWaiverSource
    from govern.sign.sources import CombinedSignoffSource, CombinedWaiverSource

    class Bundle:  # the evaluator's view of an evidence bundle: no record files
        def files_with_role(self, role):
            return []

    store.add_signed(factory.signoff())
    records = StoreRecords(store)
    signoffs = CombinedSignoffSource(FileSignoffSource(Bundle(), unsigned_verifier),
                                     records.signoff_source(unsigned_verifier))
    waivers = CombinedWaiverSource(FileWaiverSource(Bundle(), unsigned_verifier),
                                   records.waiver_source(unsigned_verifier))
    assert [r.signer for r in signoffs.signoffs("credit", "production", "validator")] == ["alice"]
    assert waivers.waivers("credit", "validation.fria") == []


def test_real_pipeline_decision_records_valid_for_expiry(store):
    from dataclasses import replace

    import govern
    from govern.errors import InputError
    from govern.evaluate.pipeline import check
    from govern.sign.sources import InMemorySignoffSource, SignoffRecord
    from tests.evaluate.conftest import EVIDENCE, MINI

    policy = govern.load_policy(MINI)
    use_case = govern.load_use_case(MINI / "use_cases" / "credit.yaml", policy)
    probe = check(policy, use_case, EVIDENCE, target="validation", as_of=factory.AS_OF)
    validity = {(s.id, so.role): so.valid_for for s in policy.templates[probe.tier].stages for so in s.gate.signoffs}
    records = [SignoffRecord(p.id, role, gate, "approve", probe.model_digest, probe.evidence_digest, policy.digest,
                             dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc), None, None, True, None,
                             use_case.id)
               for (gate, role) in validity for p in policy.manifest.people if role in p.roles]
    decision = check(policy, use_case, EVIDENCE, target="validation", as_of=factory.AS_OF,
                     signoffs=InMemorySignoffSource(records))
    with pytest.raises(InputError, match="replayed decision"):  # a decision at a chosen date is never recorded
        store.record_decision(decision, policy=policy)
    decision = replace(decision, replay=False)  # as if evaluated on AS_OF: the store's arithmetic is under test
    eid = store.record_decision(decision, policy=policy)
    assert store.decision(eid)["decision_digest"] == decision.digest
    from govern.record.tables import APPROVAL

    with store.engine.connect() as conn:
        rows = conn.execute(select(APPROVAL.c.gate, APPROVAL.c.role, APPROVAL.c.expires)).all()
    with_validity = {(g, r) for (g, r), v in validity.items() if v}
    assert rows and with_validity and with_validity <= {(g, r) for g, r, _ in rows}
    for gate, role, expires in rows:
        if (gate, role) in with_validity:
            assert expires is not None and expires > dt.date(2026, 5, 1)
    assert store.verify_chain().ok


def test_furthest_stage_is_the_last_of_the_leading_passing_gates():
    assert furthest_stage([("a", "passed"), ("b", "waived"), ("c", "failed"), ("d", "passed")]) == "b"
    assert furthest_stage([("a", "pending")]) is None


def test_url_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("GOVERN_DATABASE_URL", raising=False)
    assert resolve_url(cwd=tmp_path) == f"sqlite:///{tmp_path}/.govern/govern.db"
    (tmp_path / ".govern").mkdir()
    (tmp_path / ".govern" / "config.toml").write_text('database_url = "postgresql://u@db/gov"\n')
    assert resolve_url(cwd=tmp_path) == "postgresql+psycopg://u@db/gov"
    monkeypatch.setenv("GOVERN_DATABASE_URL", "sqlite:///x.db")
    assert resolve_url(cwd=tmp_path) == f"sqlite:///{tmp_path}/x.db"
    assert resolve_url("sqlite:////abs/y.db", cwd=tmp_path) == "sqlite:////abs/y.db"
    with pytest.raises(StoreError):
        resolve_url("mysql://x/y", cwd=tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only directories")
def test_unwritable_directory_is_a_store_error(tmp_path, monkeypatch):
    monkeypatch.delenv("GOVERN_DATABASE_URL", raising=False)
    tmp_path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(StoreError, match="store"):
            Store.open(cwd=tmp_path)
    finally:
        tmp_path.chmod(stat.S_IRWXU)


def test_store_folder_that_cannot_be_created_is_a_store_error(tmp_path, monkeypatch):
    monkeypatch.delenv("GOVERN_DATABASE_URL", raising=False)
    (tmp_path / ".govern").write_text("a file where the folder should be")
    with pytest.raises(StoreError, match="cannot create the store folder"):
        Store.open(cwd=tmp_path)


def test_unreachable_postgres_is_a_store_error():
    with pytest.raises(StoreError, match="cannot open the govern store"):
        Store.open("postgresql://nobody@127.0.0.1:1/none")
