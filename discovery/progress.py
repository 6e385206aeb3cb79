"""Progress bars for the command line, drawn from the core's ``progress(stage, done, total)`` callbacks."""

from __future__ import annotations

import sys


class TqdmStages:
    """A tqdm bar per pipeline stage, on stderr: a ``progress(stage, done, total)`` callback.

    ``leave=False`` clears each bar when its stage is done (for runs inside a longer loop).
    """

    def __init__(self, enabled: bool = True, leave: bool = True):
        self.enabled = enabled
        self.leave = leave
        self.bars = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=max(total, 1), desc=f"{stage:<10}", unit="rows" if stage == "embed" else "step",
                                          file=sys.stderr, leave=self.leave, dynamic_ncols=True)
        if bar.total != max(total, 1):
            bar.total = max(total, 1)
        bar.n = min(done, bar.total) if total else bar.total
        bar.refresh()
        if total and done >= total:
            bar.close()

    def close(self):
        for bar in self.bars.values():
            bar.close()
