"""Meltano into a real PostgreSQL (MeltanoLabs target-postgres), checked with SQL.

Every stream the emulator serves is loaded through `meltano run tap-dualentry
target-postgres`; the checks are the end-to-end promises: one row per emulator row (by
primary key), money as `numeric` summing to the emulator's exact decimal total, a second
run that upserts by primary key, rows deleted in DualEntry retired after a full pass
(ACTIVATE_VERSION), and state kept in Meltano's own state store.

The tests share one emulator, schema and Meltano project, loaded once; each later test
changes the emulator, runs the pipeline again and compares the whole database with it,
so each holds on its own and after the others.

Needs PG* variables reaching a server over 127.0.0.1 (scripts/test provides one). Under
CI a missing server fails the tests; elsewhere they skip with the reason.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from dualentry_emulator import Behaviour, Emulator
from harness import API_KEY, list_requests
from meltano_harness import (
    MeltanoProject,
    exact_sum,
    expected_by_key,
    installed_sys_dir,
    key_fields,
    money_columns,
    newest_bookmark,
    served_endpoints,
    served_streams,
    table_sizes,
)
from pg_harness import connect, dropped_after, fresh_schema_name, target_postgres_env
from psycopg import sql

pytestmark = [pytest.mark.postgres, pytest.mark.meltano]

STATE_ID = "dev:tap-dualentry-to-target-postgres"
CUSTOMERS = 600  # several pages; every other table keeps the harness's small default


class Pipeline:
    """The emulator, the Meltano project and the schema the target loads into."""

    def __init__(
        self,
        emu: Emulator,
        project: MeltanoProject,
        connection: psycopg.Connection[Any],
        schema: str,
    ) -> None:
        self.emu, self.project, self.connection, self.schema = emu, project, connection, schema
        self.streams = served_streams()
        self.target = target_postgres_env(schema)

    def env(self, **settings: str) -> dict[str, str]:
        return {**self.project.env(self.emu, self.streams, **settings), **self.target}

    def run(self, **settings: str) -> None:
        self.emu.clear_requests()
        self.project.run("tap-dualentry", "target-postgres", env=self.env(**settings))

    def state(self) -> dict[str, Any]:
        return self.project.state(STATE_ID, self.env())["singer_state"]["bookmarks"]

    def query(self, statement: sql.Composable, *params: Any) -> list[tuple[Any, ...]]:
        return self.connection.execute(statement, params).fetchall()

    def table(self, stream: str) -> sql.Composable:
        return sql.Identifier(self.schema, stream)

    def keys(self, stream: str, *, live: bool = True) -> list[tuple[Any, ...]]:
        """Primary keys in the table (live: not retired by ACTIVATE_VERSION)."""
        columns = sql.SQL(", ").join(map(sql.Identifier, key_fields(stream)))
        where = sql.SQL(" WHERE _sdc_deleted_at IS NULL" if live else "")
        return self.query(sql.SQL("SELECT {} FROM {}{}").format(columns, self.table(stream), where))

    def total(self, stream: str, column: str) -> Decimal:
        statement = sql.SQL("SELECT coalesce(sum({}), 0) FROM {} WHERE _sdc_deleted_at IS NULL")
        return Decimal(
            self.query(statement.format(sql.Identifier(column), self.table(stream)))[0][0]
        )

    def column_types(self, stream: str) -> dict[str, str]:
        rows = self.query(
            sql.SQL(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s"
            ),
            self.schema,
            stream,
        )
        return dict(rows)

    def assert_matches_emulator(self, streams: list[str] | None = None) -> None:
        """Every table holds exactly the emulator's rows, once each, with its money."""
        for stream in streams or self.streams:
            expected = expected_by_key(self.emu, stream)
            stored = self.keys(stream)
            assert len(stored) == len(set(stored)), f"{stream}: duplicate keys"
            assert set(stored) == set(expected), stream
            for column in money_columns(stream):
                served = exact_sum(row.get(column) for row in expected.values())
                assert self.total(stream, column) == served, (stream, column)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Iterator[Pipeline]:
    connection = connect()
    schema = f"tap_dualentry_test_{secrets.token_hex(4)}"
    sys_dir = installed_sys_dir(tmp_path_factory.mktemp("meltano"))
    project = MeltanoProject.create(tmp_path_factory.mktemp("postgres") / "project", sys_dir)
    emu = Emulator(API_KEY, seed=29, rows=table_sizes(CUSTOMERS))
    emu.start()
    try:
        loaded = Pipeline(emu, project, connection, schema)
        loaded.run()
        yield loaded
    finally:
        emu.stop()
        drop = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        connection.execute(drop)
        connection.close()


def test_every_row_lands_once_and_money_is_numeric_with_exact_sums(pipeline):
    pipeline.assert_matches_emulator()
    money = 0
    for stream in pipeline.streams:
        types = pipeline.column_types(stream)
        # A float column would lose cents: no number field may become one.
        assert not [c for c, t in types.items() if t in ("double precision", "real")], stream
        for column in money_columns(stream):
            assert types[column] == "numeric", (stream, column)
            money += 1
    # The emulator serves money documents (invoices, bills, ...): the check is not empty.
    assert money >= 10
    assert {row[0] for row in pipeline.keys("customers")} == set(
        pipeline.emu.table("customers").ids()
    )


def test_a_second_run_upserts_changed_rows_by_primary_key(pipeline):
    before = newest_bookmark(pipeline.state()["customers"])
    edited: dict[str, list[Any]] = {}
    for endpoint in served_endpoints():
        table = pipeline.emu.table(endpoint.name)
        edited[endpoint.name] = table.ids()[3::17][:6]
        for pk in edited[endpoint.name]:
            table.edit(pk)
        table.insert(n=3)

    pipeline.run()
    # Incremental from the bookmarks Meltano stored: a page per record-status pass, not
    # the whole table again.
    assert len(list_requests(pipeline.emu, "customers")) == 3
    parents = [e.name for e in served_endpoints()]
    pipeline.assert_matches_emulator(parents)
    # Lines an edit removed stay until the next full pass; every current line is there.
    for stream in set(pipeline.streams) - set(parents):
        stored = pipeline.keys(stream)
        assert len(stored) == len(set(stored)), f"{stream}: duplicate keys"
        assert set(expected_by_key(pipeline.emu, stream)) <= set(stored), stream
    columns = ["name", "email", "phone", "website", "is_active", "full_address"]
    statement = sql.SQL("SELECT id, {} FROM {} WHERE id = ANY(%s)").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), pipeline.table("customers")
    )
    table = pipeline.emu.table("customers")
    for pk, *values in pipeline.query(statement, edited["customers"]):
        assert dict(zip(columns, values, strict=True)) == {c: table.row(pk)[c] for c in columns}
    after = newest_bookmark(pipeline.state()["customers"])
    assert after > before


def test_rows_deleted_in_dualentry_are_retired_after_a_full_pass(pipeline):
    deleted: dict[str, list[Any]] = {}
    for endpoint in served_endpoints():
        table = pipeline.emu.table(endpoint.name)
        deleted[endpoint.name] = table.ids()[5::29][:4]
        for pk in deleted[endpoint.name]:
            table.delete(pk)

    # An incremental stream reads everything once its full pass is due (always, at 0
    # days); ACTIVATE_VERSION after the pass's last record retires what it did not see.
    pipeline.run(TAP_DUALENTRY_FULL_PASS_INTERVAL_DAYS="0")
    assert len(list_requests(pipeline.emu, "customers")) >= CUSTOMERS // 100
    pipeline.assert_matches_emulator()
    for name, pks in deleted.items():
        gone = {pk if isinstance(pk, tuple) else (pk,) for pk in pks}
        kept = set(pipeline.keys(name, live=False))
        retired = kept - set(pipeline.keys(name))
        # Soft delete marks them (hard_delete: false); a hard delete would remove them.
        assert gone <= retired | (gone - kept), name
        assert retired <= gone, name
    state = pipeline.state()
    assert state["customers"]["last_full_pass"]
    assert newest_bookmark(state["customers"])


def test_fields_the_schema_lacks_land_in_postgresql(tmp_path_factory):
    """Issue 11: a field DualEntry sends that the schema does not list reaches the
    warehouse: top-level ones in the _unknown_fields jsonb column, nested ones inside
    their jsonb object, and a line's own in its line table's _unknown_fields."""
    connection = connect()
    schema = fresh_schema_name()
    sys_dir = installed_sys_dir(tmp_path_factory.mktemp("meltano"))
    project = MeltanoProject.create(tmp_path_factory.mktemp("unknown") / "project", sys_dir)
    rows = {"customers": 40, "invoices": 30}
    behaviour = Behaviour(undocumented_fields=True)
    with (
        dropped_after(connection, schema),
        Emulator(API_KEY, seed=31, rows=rows, behaviour=behaviour) as emu,
    ):
        loaded = Pipeline(emu, project, connection, schema)
        loaded.streams = ["customers", "invoices", "invoices_items"]
        loaded.run()
        loaded.assert_matches_emulator()
        for stream in loaded.streams:
            assert loaded.column_types(stream)["_unknown_fields"] == "jsonb", stream
        statement = sql.SQL("SELECT id, _unknown_fields, full_address FROM {}")
        customers = emu.table("customers")
        stored = loaded.query(statement.format(loaded.table("customers")))
        assert len(stored) == 40
        for pk, unknown, address in stored:
            assert unknown == {"esg_rating": customers.row(pk)["esg_rating"]}
            assert address is None or address["geo_precision"] == "rooftop"
        statement = sql.SQL("SELECT items, _unknown_fields FROM {}")
        for items, unknown in loaded.query(statement.format(loaded.table("invoices"))):
            assert unknown["esg_rating"]["scale"] == "0-100"
            assert all(line["carbon_kg"] for line in items)
        statement = sql.SQL("SELECT _unknown_fields ->> 'carbon_kg' FROM {}")
        carbon = loaded.query(statement.format(loaded.table("invoices_items")))
        assert carbon and all(value for (value,) in carbon)
    connection.close()
