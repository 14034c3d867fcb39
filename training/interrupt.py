"""Turn SIGTERM into KeyboardInterrupt while training, so run contexts end their runs as FAILED."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class TrainingInterrupted(KeyboardInterrupt):
    """Training was stopped by a signal; the MLflow run ends FAILED, the champion is untouched."""


def _raise(signum: int, frame: FrameType | None) -> None:
    raise TrainingInterrupted(f"training stopped by {signal.Signals(signum).name}")


@contextmanager
def interruptible() -> Iterator[None]:
    """Raise ``TrainingInterrupted`` on SIGTERM inside the block (main thread only; else a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
