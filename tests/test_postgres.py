"""Meltano into a real PostgreSQL (MeltanoLabs target-postgres), checked with SQL.

Every stream the emulator serves is loaded; the checks are the end-to-end promises:
one row per emulator row, money as `numeric` summing to the exact decimal total, a
second run that upserts by primary key, deleted rows retired after a full pass
(ACTIVATE_VERSION), and state kept in Meltano's own state store.

Needs PG* variables reaching a server over 127.0.0.1 (scripts/test provides one). Under
CI a missing server fails the test; elsewhere it skips with the reason.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from harness import base_config, catalog_for, list_requests
from meltano_harness import (
    MeltanoProject,
    exact_sum,
    expected_rows,
    installed_sys_dir,
    money_columns,
    served_streams,
    table_sizes,
)
from psycopg import sql

pytestmark = [pytest.mark.postgres, pytest.mark.meltano, pytest.mark.slow]

STATE_ID = "dev:tap-dualentry-to-target-postgres"
VERSION = "v2"  # serves every endpoint (v1 lacks a few)
ROWS = 600


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _connect() -> psycopg.Connection[Any]:
    """A connection over 127.0.0.1 from the PG* variables (libpq reads the others)."""
    host = os.environ.get("PGHOST") or "127.0.0.1"
    try:
        return psycopg.connect(host=host, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        reason = f"no PostgreSQL server at {host} with the PG* variables ({error})"
        if _in_ci():
            pytest.fail(f"{reason}; CI must provide one (scripts/test starts it)")
        pytest.skip(f"{reason}; run scripts/test, which installs and starts one")


@pytest.fixture(scope="module")
def meltano_sys_dir(tmp_path_factory):
    return installed_sys_dir(tmp_path_factory.mktemp("meltano"))


@pytest.fixture
def database() -> Iterator[tuple[psycopg.Connection[Any], str]]:
    """A connection and a schema of this test's own, dropped afterwards."""
    connection = _connect()
    schema = f"tap_dualentry_test_{secrets.token_hex(4)}"
    try:
        yield connection, schema
    finally:
        connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )
        connection.close()


@pytest.fixture
def pipeline(tmp_path, meltano_sys_dir, database, emulator):
    """An emulator with every served table, and a way to load it into the test's schema."""
    connection, schema = database
    emu = emulator(rows=table_sizes(ROWS, version=VERSION), seed=29)
    project = MeltanoProject.create(tmp_path / "project", meltano_sys_dir)
    streams = served_streams(VERSION)
    fixed = {
        "TAP_DUALENTRY_API_VERSION": VERSION,
        "TARGET_POSTGRES_HOST": os.environ.get("PGHOST") or "127.0.0.1",
        "TARGET_POSTGRES_PORT": os.environ.get("PGPORT", "5432"),
        "TARGET_POSTGRES_USER": os.environ.get("PGUSER", "postgres"),
        "TARGET_POSTGRES_PASSWORD": os.environ.get("PGPASSWORD", ""),
        "TARGET_POSTGRES_DATABASE": os.environ.get("PGDATABASE", "postgres"),
        "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
    }

    class Pipeline:
        def __init__(self) -> None:
            self.emu, self.project, self.streams, self.schema = emu, project, streams, schema
            self.keys = {
                entry["tap_stream_id"]: entry["key_properties"]
                for entry in catalog_for(base_config(emu, api_version=VERSION), streams)["streams"]
            }

        def env(self, **settings: str) -> dict[str, str]:
            return {**project.env(emu, streams, **settings), **fixed}

        def run(self, **settings: str) -> None:
            project.run("tap-dualentry", "target-postgres", env=self.env(**settings))

        def query(self, statement: sql.Composable, *params: Any) -> list[tuple[Any, ...]]:
            return connection.execute(statement, params).fetchall()

        def table(self, stream: str) -> sql.Composable:
            return sql.Identifier(schema, stream)

        def count(self, stream: str, *, live: bool = False) -> int:
            where = sql.SQL(" WHERE _sdc_deleted_at IS NULL" if live else "")
            statement = sql.SQL("SELECT count(*) FROM {}{}").format(self.table(stream), where)
            return int(self.query(statement)[0][0])

        def duplicate_keys(self, stream: str) -> list[tuple[Any, ...]]:
            keys = sql.SQL(", ").join(map(sql.Identifier, self.keys[stream]))
            statement = sql.SQL("SELECT {k} FROM {t} GROUP BY {k} HAVING count(*) > 1").format(
                k=keys, t=self.table(stream)
            )
            return self.query(statement)

        def column_types(self, stream: str) -> dict[str, str]:
            rows = self.query(
                sql.SQL(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = %s AND table_name = %s"
                ),
                schema,
                stream,
            )
            return dict(rows)

    return Pipeline()


def test_every_row_lands_and_money_is_numeric_with_exact_sums(pipeline):
    pipeline.run()
    for stream in pipeline.streams:
        expected = expected_rows(pipeline.emu, stream)
        assert pipeline.count(stream) == len(expected), stream
        assert pipeline.duplicate_keys(stream) == [], stream
        types = pipeline.column_types(stream)
        # Any number field becoming a float column would lose cents.
        assert not {c for c, t in types.items() if t in ("double precision", "real")}, stream
        for column in money_columns(stream):
            assert types[column] == "numeric", (stream, column)
            statement = sql.SQL("SELECT sum({}) FROM {}").format(
                sql.Identifier(column), pipeline.table(stream)
            )
            total = pipeline.query(statement)[0][0] or 0
            assert total == exact_sum(row.get(column) for row in expected), (stream, column)
    table = pipeline.emu.table("customers")
    ids = {
        row[0]
        for row in pipeline.query(sql.SQL("SELECT id FROM {}").format(pipeline.table("customers")))
    }
    assert ids == set(table.ids())


def test_a_second_run_upserts_changed_rows_by_primary_key(pipeline):
    pipeline.run()
    first_state = pipeline.project.state(STATE_ID, pipeline.env())
    first_bookmark = first_state["singer_state"]["bookmarks"]["customers"]
    table = pipeline.emu.table("customers")
    edited = table.ids()[3::50][:8]
    for pk in edited:
        table.edit(pk)
    inserted = table.insert(n=4)
    pipeline.emu.clear_requests()

    pipeline.run()
    # Incremental from the bookmark Meltano stored: one page, not the table again.
    assert len(list_requests(pipeline.emu, "customers")) == 1
    for stream in pipeline.streams:
        assert pipeline.count(stream) == len(expected_rows(pipeline.emu, stream)), stream
        assert pipeline.duplicate_keys(stream) == [], stream
    columns = ["name", "email", "phone", "website", "is_active", "full_address"]
    statement = sql.SQL("SELECT id, {} FROM {} WHERE id = ANY(%s)").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), pipeline.table("customers")
    )
    stored = {
        row[0]: dict(zip(columns, row[1:], strict=True))
        for row in pipeline.query(statement, [*edited, *inserted])
    }
    assert set(stored) == {*edited, *inserted}
    for pk, values in stored.items():
        served = table.row(pk)
        assert values == {c: served[c] for c in columns}, pk
    state = pipeline.project.state(STATE_ID, pipeline.env())
    bookmark = state["singer_state"]["bookmarks"]["customers"]
    assert bookmark["replication_key_value"] > first_bookmark["replication_key_value"]


def test_rows_deleted_in_dualentry_are_retired_after_a_full_pass(pipeline):
    pipeline.run()
    table = pipeline.emu.table("customers")
    deleted = table.ids()[7::40][:10]
    for pk in deleted:
        table.delete(pk)
    pipeline.emu.clear_requests()

    # The incremental stream reads everything once its full pass is due (always, at 0 days);
    # ACTIVATE_VERSION after the pass's last record retires the rows it did not see.
    pipeline.run(TAP_DUALENTRY_FULL_PASS_INTERVAL_DAYS="0")
    assert len(list_requests(pipeline.emu, "customers")) >= len(table.ids()) // 100
    retired = pipeline.query(
        sql.SQL("SELECT id FROM {} WHERE _sdc_deleted_at IS NOT NULL").format(
            pipeline.table("customers")
        )
    )
    present = {
        row[0]
        for row in pipeline.query(sql.SQL("SELECT id FROM {}").format(pipeline.table("customers")))
    }
    # Soft delete marks the rows (hard_delete: false); a hard delete would remove them.
    assert {row[0] for row in retired} | (set(deleted) - present) == set(deleted)
    for stream in pipeline.streams:
        assert pipeline.count(stream, live=True) == len(expected_rows(pipeline.emu, stream))
        assert pipeline.duplicate_keys(stream) == [], stream
    state = pipeline.project.state(STATE_ID, pipeline.env())
    assert state["singer_state"]["bookmarks"]["customers"]["last_full_pass"]
