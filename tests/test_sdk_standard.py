"""The Meltano Singer SDK's standard tap tests, over every stream, against the emulator.

The SDK's test class syncs in a class-scoped fixture, so the emulator is started
when this module is imported and stopped when the session ends. Its items carry fields
the API document does not list, so every stream's ``_unknown_fields`` has values for the
SDK's attribute tests to check (otherwise they find none and warn).
"""

from __future__ import annotations

import atexit

from dualentry_emulator import Behaviour, Emulator
from harness import API_KEY
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_dualentry.tap import TapDualEntry

_emulator = Emulator(API_KEY, seed=42, behaviour=Behaviour(undocumented_fields=True)).start()
atexit.register(_emulator.stop)

TestTapDualEntry = get_tap_test_class(
    TapDualEntry,
    config={
        "api_key": API_KEY,
        "api_url": _emulator.url,
        "api_version": "v2",
        "rate_limit_pacing": False,
        "max_parallel_streams": 1,
    },
    suite_config=SuiteConfig(max_records_limit=None),
)
