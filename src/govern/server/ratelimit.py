"""At most N failed token checks per client address per minute: guessing tokens costs a minute per N tries.

In memory, per server process (a sliding window of failure times per address). Successful
checks are not counted, so a working client is never slowed; once an address is over the
limit every token check from it is refused (HTTP 429) until its oldest failure is a minute
old, so a valid token cannot be used to probe either.
"""

from __future__ import annotations

import threading
import time
from collections import deque

WINDOW = 60.0


class FailureLimiter:
    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        found = self._failures.setdefault(address, deque())
        while found and now - found[0] >= WINDOW:
            found.popleft()
        return found

    def retry_after(self, address: str) -> int | None:
        """Seconds until ``address`` may try again, or None if it may try now."""
        with self._lock:
            now = self.clock()
            recent = self._recent(address, now)
            if len(recent) < self.per_minute:
                if not recent:
                    self._failures.pop(address, None)  # keep the table as small as the attackers
                return None
            return max(1, int(WINDOW - (now - recent[0])) + 1)

    def failed(self, address: str) -> None:
        with self._lock:
            self._recent(address, self.clock()).append(self.clock())
