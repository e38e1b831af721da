"""Following an episode's production on the terminal: a progress bar, or (in a log, in CI) one
line each time the stage changes. The local and the remote `--wait` share it."""

from __future__ import annotations

import sys

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from roomcast.commands import stderr


class Follower:
    """A progress bar on a terminal; elsewhere (a log, CI) one line each time the stage changes."""

    def __init__(self) -> None:
        self.bar: Progress | None = None
        self.last = ""

    def __enter__(self) -> Follower:
        if sys.stderr.isatty():
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                                TimeElapsedColumn(), console=stderr)
            self.bar.__enter__()
            self.task = self.bar.add_task("queued", total=1.0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)

    def update(self, stage: str, progress: float) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=progress, description=stage)
        elif stage not in (self.last, "running"):  # "running" alone: between two steps
            self.last = stage
            stderr.print(f"{progress * 100:3.0f}%  {stage}", highlight=False, soft_wrap=True)
