"""A separate process writing to a store: `python -m tests.record.worker URL MODE WORKER N`.

mixed   N rounds of (record a decision, add a sign-off, add a waiver); prints the ids as JSON
forever record decisions until killed; prints "ready" after the first commit
hold    open a write transaction, write an evaluation's rows, print "inside", sleep (to be killed)
"""

from __future__ import annotations

import json
import sys
import time

from govern.record.store import Store
from tests.record import factory


def main(url: str, mode: str, worker: int, rounds: int) -> None:
    store = Store.open(url)
    if mode == "mixed":
        ids: dict[str, list[int]] = {"evaluation": [], "signoff": [], "waiver": []}
        for n in range(rounds):
            use_case = f"uc-{(worker + n) % 4}"
            ids["evaluation"].append(store.record_decision(factory.make_decision(use_case, model=worker)))
            ids["signoff"].append(store.add_signed(factory.signoff(use_case, signer=f"s{worker}", n=n)))
            ids["waiver"].append(store.add_signed(factory.waiver(use_case, approver=f"w{worker}", n=n)))
        print(json.dumps(ids))
    elif mode == "forever":
        n = 0
        while True:
            store.record_decision(factory.make_decision(f"uc-{n % 3}", model=n, n_checks=40))
            store.add_signed(factory.signoff(f"uc-{n % 3}", signer=f"s{worker}", n=n))
            if n == 0:
                print("ready", flush=True)
            n += 1
    elif mode == "hold":
        from govern.record.decisions import write_decisions
        from govern.record.engine import write
        from govern.record.log import Appender

        decision = factory.make_decision("held", n_checks=10)
        with write(store.engine) as conn:
            log = Appender(conn)
            write_decisions(conn, [decision], [{}], factory.dt.datetime.now(factory.dt.timezone.utc), log)
            log.flush()
            print("inside", flush=True)
            time.sleep(120)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
