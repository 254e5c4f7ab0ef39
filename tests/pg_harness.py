"""The PostgreSQL server the end-to-end tests load into, reached through the PG*
variables over 127.0.0.1 (scripts/test installs, starts and exports one)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from psycopg import sql


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def connect() -> psycopg.Connection[Any]:
    """A connection over 127.0.0.1 from the PG* variables (libpq reads the others).
    Under CI a missing server fails the test; elsewhere it skips with the reason."""
    host = os.environ.get("PGHOST") or "127.0.0.1"
    try:
        return psycopg.connect(host=host, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        reason = f"no PostgreSQL server at {host} with the PG* variables ({error})"
        if _in_ci():
            pytest.fail(f"{reason}; CI must provide one (scripts/test starts it)")
        pytest.skip(f"{reason}; run scripts/test, which installs and starts one")


def server() -> dict[str, str]:
    """Where the server is and who logs in: host, port, user, password, database."""
    return {
        "host": os.environ.get("PGHOST") or "127.0.0.1",
        "port": os.environ.get("PGPORT", "5432"),
        "user": os.environ.get("PGUSER", "postgres"),
        "password": os.environ.get("PGPASSWORD", ""),
        "database": os.environ.get("PGDATABASE", "postgres"),
    }


def target_postgres_env(schema: str | None = None) -> dict[str, str]:
    """MeltanoLabs target-postgres settings for Meltano, as environment variables."""
    env = {f"TARGET_POSTGRES_{name.upper()}": value for name, value in server().items()}
    if schema is not None:
        env["TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA"] = schema
    return env


def fresh_schema_name(prefix: str = "tap_dualentry_test") -> str:
    """A schema name no other test (or engineer sharing the server) uses."""
    return f"{prefix}_{secrets.token_hex(4)}"


@contextmanager
def dropped_after(connection: psycopg.Connection[Any], *schemas: str) -> Iterator[None]:
    """Drop the schemas when the block ends, however it ends."""
    try:
        yield
    finally:
        for schema in schemas:
            drop = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            connection.execute(drop)
