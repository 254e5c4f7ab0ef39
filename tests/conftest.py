"""Fixtures shared by the tap's tests (helpers live in harness.py)."""

from __future__ import annotations

from typing import Any

import pytest
from dualentry_emulator import Emulator
from harness import API_KEY


@pytest.fixture
def emulator():
    """Start emulators on demand; every one is stopped after the test."""
    started: list[Emulator] = []

    def start(**kwargs: Any) -> Emulator:
        kwargs.setdefault("rows", {"customers": 250})
        emu = Emulator(API_KEY, **kwargs)
        emu.start()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()
