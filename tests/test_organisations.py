"""Several DualEntry organisations the Meltano way: meltano.yml's inherited extractors
(tap-dualentry--acme, tap-dualentry--globex), each with its own key, state and schema
and an organisation column leading every key, load two emulators into one PostgreSQL
without a collision, and a delete in one organisation retires only its own row."""

from __future__ import annotations

import secrets

import pytest
from dualentry_emulator import Emulator
from meltano_harness import (
    MeltanoProject,
    installed_sys_dir,
    key_fields,
    newest_bookmark,
    select_rules,
)
from pg_harness import connect, dropped_after, fresh_schema_name, target_postgres_env
from psycopg import sql

pytestmark = [pytest.mark.postgres, pytest.mark.meltano]

ORGANISATIONS = ("acme", "globex")
STREAMS = ["customers", "invoices", "invoices_items"]


def test_two_organisations_load_side_by_side(tmp_path_factory):
    sys_dir = installed_sys_dir(tmp_path_factory.mktemp("meltano"))
    project = MeltanoProject.create(tmp_path_factory.mktemp("orgs") / "project", sys_dir)
    keys = {org: f"de-{org}-{secrets.token_hex(12)}" for org in ORGANISATIONS}
    schemas = {org: fresh_schema_name(f"tap_dualentry_test_{org}") for org in ORGANISATIONS}
    connection = connect()
    emus = {
        org: Emulator(keys[org], seed=seed, rows={"customers": 150, "invoices": 40})
        for org, seed in zip(ORGANISATIONS, (7, 8), strict=True)
    }
    for emu in emus.values():
        emu.start()

    def env(**settings: str) -> dict[str, str]:
        values = {
            "MELTANO_SYS_DIR_ROOT": str(project.sys_dir),
            "MELTANO_DATABASE_URI": f"sqlite:///{project.root / 'meltano.db'}",
            # tap-dualentry's own key fits neither emulator: an organisation that fell back
            # to it would fail.
            "TAP_DUALENTRY_API_KEY": "de-not-an-organisations-key",
            "TAP_DUALENTRY_RATE_LIMIT_PACING": "false",
            **target_postgres_env(),
            **settings,
        }
        for org in ORGANISATIONS:
            prefix = f"TAP_DUALENTRY__{org.upper()}"
            values |= {
                f"{prefix}_API_URL": emus[org].url,
                f"{prefix}_API_KEY": keys[org],
                f"{prefix}__SELECT": select_rules(STREAMS),
                f"{prefix}__LOAD_SCHEMA": schemas[org],
            }
        return values

    def run(*organisations: str, **settings: str) -> None:
        blocks = [
            part for org in organisations for part in (f"tap-dualentry--{org}", "target-postgres")
        ]
        done = project.run(*blocks, env=env(**settings))
        for key in keys.values():
            assert key not in done.stdout + done.stderr

    def stored(org: str, stream: str, *, live: bool = True) -> list[tuple]:
        columns = sql.SQL(", ").join(map(sql.Identifier, ["organisation", *key_fields(stream)]))
        where = sql.SQL(" WHERE _sdc_deleted_at IS NULL" if live else "")
        statement = sql.SQL("SELECT {} FROM {}{}").format(
            columns, sql.Identifier(schemas[org], stream), where
        )
        return connection.execute(statement).fetchall()

    try:
        with dropped_after(connection, *schemas.values()):
            run(*ORGANISATIONS)
            overlap = set(emus["acme"].table("customers").ids()) & set(
                emus["globex"].table("customers").ids()
            )
            assert overlap  # both organisations number their rows from 1
            union: list[tuple] = []
            for org in ORGANISATIONS:
                for stream in STREAMS:
                    rows = stored(org, stream)
                    assert {row[0] for row in rows} == {org}, (org, stream)
                    assert len(rows) == len(set(rows))
                union += stored(org, "customers")
                ids = {row[1] for row in stored(org, "customers")}
                assert ids == set(emus[org].table("customers").ids()), org
                # The organisation leads the table's primary key.
                primary = connection.execute(
                    "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                    "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                    "WHERE i.indrelid = %s::regclass AND i.indisprimary",
                    (f'"{schemas[org]}"."customers"',),
                ).fetchall()
                assert {name for (name,) in primary} == {"organisation", "id"}
            # One warehouse-wide view of customers has no two rows with the same key.
            assert (
                len(union)
                == len(set(union))
                == sum(len(emus[org].table("customers").ids()) for org in ORGANISATIONS)
            )
            for org in ORGANISATIONS:
                state = project.state(f"dev:tap-dualentry--{org}-to-target-postgres", env())
                bookmark = state["singer_state"]["bookmarks"]["customers"]
                assert newest_bookmark(bookmark), org

            # A customer deleted in one organisation is retired there, and only there.
            gone = sorted(overlap)[:2]
            for pk in gone:
                emus["acme"].table("customers").delete(pk)
            # Only acme runs again: its full pass's ACTIVATE_VERSION touches its own schema.
            run("acme", TAP_DUALENTRY_FULL_PASS_INTERVAL_DAYS="0")
            live_acme = {row[1] for row in stored("acme", "customers")}
            assert not live_acme & set(gone)
            assert live_acme == set(emus["acme"].table("customers").ids())
            everything = {row[1] for row in stored("acme", "customers", live=False)}
            assert set(gone) <= everything  # retired (soft delete), not lost
            assert {row[1] for row in stored("globex", "customers")} >= set(gone)
    finally:
        for emu in emus.values():
            emu.stop()
        connection.close()
