"""Emulator tests (a package, so their conftest never shadows another `conftest` module)."""
