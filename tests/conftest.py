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


# Modules whose tests share one expensive fixture (a Meltano project and database, the
# SDK's class-scoped sync): their tests stay on one worker under pytest-xdist. Modules
# that also need Meltano's plugins installed share the worker that installs them once.
SHARED_FIXTURE_GROUPS = {
    "test_postgres": "test_postgres",
    "test_organisations": "test_meltano",
    "test_meltano": "test_meltano",
    "test_sdk_standard": "test_sdk_standard",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        group = SHARED_FIXTURE_GROUPS.get(item.path.stem)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
