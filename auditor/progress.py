"""discover's progress bar: tqdm on stderr, only on a terminal and without -q."""
from __future__ import annotations

import sys


class _Bar:
    """A tqdm bar on stderr whose total grows as accounts reveal their pairs."""

    def __init__(self, bar):
        self.bar = bar

    def total_add(self, n: int) -> None:
        self.bar.total = (self.bar.total or 0) + n
        self.bar.refresh()

    def update(self, n: int = 1) -> None:
        self.bar.update(n)


class ProgressBar:
    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __enter__(self):
        if not self.enabled:
            return None
        from tqdm import tqdm

        self.tqdm = tqdm(total=0, desc="evaluating", unit="pair", file=sys.stderr, leave=False)
        return _Bar(self.tqdm)

    def __exit__(self, *exc):
        if self.enabled:
            self.tqdm.close()
        return False
