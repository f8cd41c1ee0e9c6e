"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT

MODEL_PATH = PROJECT_ROOT / "models" / "shop-support.tar.gz"


def free_port() -> int:
    """Returns a TCP port that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The trained model; `make test` trains it before running pytest."""
    if not MODEL_PATH.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{MODEL_PATH} is missing: CI must train the model (make train)")
        pytest.skip("no trained model; run `make train`")
    return MODEL_PATH
