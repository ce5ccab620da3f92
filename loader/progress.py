"""A progress line on stderr for long loads (only when stderr is a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, label: str, total: int, out: TextIO = sys.stderr,
                 enabled: bool | None = None) -> None:
        self.label, self.total, self.out = label, max(total, 1), out
        self.enabled = out.isatty() if enabled is None else enabled
        self.started = time.monotonic()
        self._last = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < 0.25:
            return
        self._last = now
        share = min(done / self.total, 1.0)
        bar = "#" * int(share * 30)
        rate = done / max(now - self.started, 1e-9) / 1e6
        self.out.write(f"\r{self.label[:40]:40} [{bar:30}] {share:6.1%} {rate:6.1f} MB/s")
        self.out.flush()

    def close(self) -> None:
        if self.enabled:
            self.out.write("\r" + " " * 90 + "\r")
            self.out.flush()
