"""Many writers and hard crashes: eight processes at once, and SIGKILL in the middle of writes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from sqlalchemy import text

from govern.record.store import Store
from tests.record.conftest import ROOT

WORKERS, ROUNDS = 8, 4


def spawn(url: str, mode: str, worker: int, rounds: int = 0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.record.worker", url, mode, str(worker), str(rounds)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("evaluation", "gate_result", "check_result", "signoff", "waiver", "audit_event",
                          "policy_version", "use_case")}


def assert_consistent(store: Store) -> None:
    """Every evaluation has all its result rows and its event; the chain verifies."""
    report = store.verify_chain()
    assert report.ok, report
    with store.engine.connect() as conn:
        partial = conn.execute(text(
            "SELECT e.id FROM evaluation e LEFT JOIN gate_result g ON g.evaluation_id = e.id "
            "GROUP BY e.id HAVING count(g.id) <> 4")).all()
        assert partial == []
    c = counts(store)
    assert c["audit_event"] == c["evaluation"] + c["signoff"] + c["waiver"] + c["policy_version"]


def test_eight_processes_check_sign_and_waive_concurrently(store_url):
    """On an empty database: the workers also race to migrate it (exactly one must)."""
    procs = [spawn(store_url, "mixed", w, ROUNDS) for w in range(WORKERS)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    with Store.open(store_url) as store:
        c = counts(store)
        assert c["evaluation"] == c["signoff"] == c["waiver"] == WORKERS * ROUNDS  # nothing lost
        assert c["check_result"] == WORKERS * ROUNDS * 3 and c["policy_version"] == 1 and c["use_case"] == 4
        for kind in ("evaluation", "signoff", "waiver"):
            ids = [i for r in results for i in r[kind]]
            assert len(set(ids)) == WORKERS * ROUNDS  # no id handed out twice
        seqs = [e["seq"] for e in store.export_events()]
        assert seqs == list(range(1, len(seqs) + 1))  # one linear chain
        assert_consistent(store)


def test_sigkill_inside_a_write_transaction_leaves_nothing(store_url):
    with Store.open(store_url) as store:
        store.record_decision(__import__("tests.record.factory", fromlist=["x"]).make_decision())
        before = counts(store)
    proc = spawn(store_url, "hold", 0)
    assert proc.stdout.readline().strip() == "inside"  # rows written, transaction open
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with Store.open(store_url) as store:
        assert counts(store) == before
        assert_consistent(store)
        assert "held" not in store.latest_decisions()


def test_sigkill_during_continuous_writes_leaves_a_consistent_store(store_url):
    for delay in (0.05, 0.3):
        procs = [spawn(store_url, "forever", w) for w in range(3)]
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        time.sleep(delay)
        for p in procs:
            os.kill(p.pid, signal.SIGKILL)
        for p in procs:
            p.wait(timeout=30)
        with Store.open(store_url) as store:
            assert_consistent(store)
    with Store.open(store_url) as store:  # and the store keeps working after the crashes
        store.record_decision(__import__("tests.record.factory", fromlist=["x"]).make_decision("after"))
        assert_consistent(store)


def test_checkpoints_taken_while_20_writers_record_stay_consistent_with_later_ones(store_url):
    """Leaf order is commit order: every head a checkpoint signed mid-stream is a prefix of every later tree."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from govern.record import merkle
    from govern.record.engine import read
    from govern.record.log import consistency_path

    witness = Ed25519PrivateKey.generate()
    with Store.open(store_url) as store:  # migrated before the writers start: they race on the log only
        procs = [spawn(store_url, "mixed", w, 2) for w in range(20)]
        taken = []
        while any(p.poll() is None for p in procs):
            taken.append(store.checkpoint(witness))
            time.sleep(0.05)
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0, err
        taken.append(store.checkpoint(witness))
        assert len(taken) >= 3 and taken[-1].tree_size == 20 * 2 * 3 + 2  # + the policy event and the anchor
        sizes = [c.tree_size for c in taken]
        assert sizes == sorted(sizes)
        report = store.verify_chain(taken, witness=taken[0].key_fingerprint)
        assert report.ok, report
        with read(store.engine) as conn:  # and pairwise, as two auditors holding different heads would
            for a, b in zip(taken, taken[1:]):
                assert merkle.verify_consistency(a.tree_size, b.tree_size, a.root, b.root,
                                                 consistency_path(conn, a.tree_size, b.tree_size))
        seqs = [e["seq"] for e in store.export_events()]
        assert seqs == list(range(1, len(seqs) + 1))
        assert_consistent(store)
