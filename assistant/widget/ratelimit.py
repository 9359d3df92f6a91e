"""An in-memory token bucket per (widget key, client address): a burst of `rate` questions, refilled per minute."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

MAX_BUCKETS = 10_000  # beyond this, full (idle) buckets are forgotten so memory stays bounded


class RateLimiter:
    """`take(who)` spends one token and returns 0, or the seconds until one is back (→ 429 Retry-After)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0  # tokens per second
        self.clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # who → (tokens, last update)
        self._lock = threading.Lock()

    def take(self, who: tuple[str, str]) -> int:
        """0 when allowed; otherwise the whole seconds to wait (at least 1)."""
        if self.capacity <= 0:  # 0 per minute means no limit
            return 0
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(who, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.refill)
            if tokens >= 1:
                self._buckets[who] = (tokens - 1, now)
                if len(self._buckets) > MAX_BUCKETS:
                    self._forget_full(now)
                return 0
            self._buckets[who] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.refill))

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled completely: forgetting them changes nothing."""
        self._buckets = {who: (tokens, last) for who, (tokens, last) in self._buckets.items()
                         if tokens + (now - last) * self.refill < self.capacity}
