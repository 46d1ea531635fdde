"""`exclusive`: a lock held across processes for a whole notification pass, on both backends,
that never blocks the store's writers (a `govern check` must not wait for a webhook)."""

from __future__ import annotations

import threading

from govern.record.engine import NOTIFY_LOCK, exclusive


def test_holders_take_turns_and_writers_do_not_wait(store):
    inside, overlaps, order = [0], [], []
    lock = threading.Lock()
    holding, written = threading.Event(), threading.Event()
    waited_out: list[bool] = []

    def hold(name: str) -> None:
        with exclusive(store.engine, NOTIFY_LOCK):
            with lock:
                inside[0] += 1
                overlaps.append(inside[0])
                order.append(name)
            if name == "a":
                holding.set()
                waited_out.append(not written.wait(30))  # held until the writer is through
            with lock:
                inside[0] -= 1

    first = threading.Thread(target=hold, args=("a",))
    first.start()
    assert holding.wait(30)
    second = threading.Thread(target=hold, args=("b",))
    second.start()  # waits for a
    seq = store.record_event("note", "writer", {"while": "a pass holds the lock"})
    written.set()  # had the write waited for the lock, a would have given up first
    first.join(30)
    second.join(30)
    assert seq is not None and waited_out == [False]
    assert overlaps == [1, 1] and order == ["a", "b"]
