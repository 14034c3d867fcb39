"""SIGTERM inside ``interruptible`` raises, so an MLflow run context ends FAILED."""

import os
import signal

import pytest

from training.interrupt import TrainingInterrupted, interruptible


def test_sigterm_raises_inside_and_is_restored_after():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(TrainingInterrupted, match="SIGTERM"), interruptible():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) == before
