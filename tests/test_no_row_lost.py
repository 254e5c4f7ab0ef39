"""No row is ever lost: the ledger changes between page requests, and every row is
still delivered, in that run or the next incremental one, never twice in a run."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from dualentry_emulator import Behaviour, Emulator
from harness import VirtualClock, base_config, run_tap, sweep

SEEDS = sweep(60, default=12, quick=3)


@dataclass
class Mutations:
    """Seeded random changes applied by the emulator before list requests."""

    table_name: str
    rng: random.Random
    rate: float
    active: bool = True
    inserted: set = field(default_factory=set)
    changed: set = field(default_factory=set)
    deleted: set = field(default_factory=set)
    applied: Counter = field(default_factory=Counter)

    def __call__(self, emu: Emulator, endpoint: str) -> None:
        if not self.active or endpoint != self.table_name:
            return
        table = emu.table(self.table_name)
        for _ in range(self.rng.choice([0, 0, 1, 1, 2, 4])):
            if self.rng.random() > self.rate:
                continue
            kind = self.rng.choice(["insert", "edit", "touch", "archive", "unarchive", "delete"])
            ids = table.ids()
            if kind == "insert" or not ids:
                self.inserted.update(table.insert(1))
                self.applied["insert"] += 1
                continue
            pk = self.rng.choice(ids)
            if kind == "edit":
                table.edit(pk)
                self.changed.add(pk)
            elif kind == "touch":
                table.touch(pk)  # a system edit: reorders, changes nothing visible
                self.changed.add(pk)
            elif kind == "archive":
                table.archive(pk)
                self.changed.add(pk)
            elif kind == "unarchive":
                # Back to an earlier status (read in an earlier pass where items do not
                # say their status), with or without a new timestamp.
                archived = [i for i in ids if table.record_status(i) == "archived"]
                if not archived:
                    continue
                pk = self.rng.choice(archived)
                table.set_record_status(pk, "posted", bump=self.rng.random() < 0.5)
                self.changed.add(pk)
            else:
                table.delete(pk)
                self.deleted.add(pk)
            self.applied[kind] += 1


def _plain(value):
    """Decimal strings and exact numbers compare by their digits."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def attach(emu: Emulator, mutations: Mutations) -> None:
    emu.before_list(lambda endpoint, query, index: mutations(emu, endpoint))


TOTALS: Counter = Counter()


# Customers are read newest first (-updated_at); purchase orders, on a server that
# refuses that order, as a full table in id order.
ORDERS = {
    "-updated_at": ("customers", "id", "accept"),
    "id": ("purchase_orders", "internal_id", "reject"),
}


@pytest.mark.parametrize("order", sorted(ORDERS))
@pytest.mark.parametrize("seed", SEEDS)
def test_random_mutations_between_pages_lose_no_row(emulator, seed, order):
    stream, key, updated_ordering = ORDERS[order]
    rng = random.Random(seed)
    size = rng.choice([40, 150, 420])
    page_size = rng.choice([3, 10, 37, 100])
    disagreeing = rng.choice([0.0, 0.15])
    emu = emulator(
        rows={stream: size},
        seed=seed,
        behaviour=Behaviour(
            disagreeing_fraction=disagreeing,
            untimestamped_fraction=0.03,
            updated_ordering=updated_ordering,
        ),
    )
    table = emu.table(stream)
    initial = set(table.ids())
    mutations = Mutations(stream, rng, rate=rng.choice([0.3, 0.7]))
    attach(emu, mutations)
    config = base_config(emu, page_size=page_size)

    runs = []
    state = None
    clock = VirtualClock()
    phases = ["full", "incremental", "quiet", "quiet"]
    for phase in phases:
        mutations.active = phase != "quiet"
        run = run_tap(config, streams=[stream], state=state, clock=clock)
        # Once per run, except a row that moved to another record status during the run:
        # each status is a pass of its own where items do not say their status.
        statuses: dict = {}
        for record in run.records(stream):
            statuses.setdefault(record[key], []).append(record.get("record_status"))
        twice = {pk: seen for pk, seen in statuses.items() if len(seen) != len(set(seen))}
        assert not twice, f"{phase}: delivered twice in one run: {list(twice)[:5]}"
        before = runs[-1].bookmarks(stream) if runs else {}
        for context, value in run.bookmarks(stream).items():
            # No bookmark ahead of the rows its pass delivered in this run.
            mine = [
                r["updated_at"]
                for r in run.records(stream)
                if r["updated_at"] and all(r.get(k) == v for k, v in context)
            ]
            assert value == before.get(context) or value <= max(mine, default=""), context
        if run.exit_code != 0:
            # Only an honest failure: the list changed too fast to account for every row.
            TOTALS["failed runs"] += 1
        runs.append(run)
        state = run.state
        if phase == "quiet" and run.exit_code == 0:
            break
    assert runs[-1].exit_code == 0, "a sync of a quiet ledger must succeed"
    # A week later, with defaults: reconciliation has read everything again, so changes
    # that moved no timestamp (a status set back without one) are in too.
    mutations.active = False
    clock.advance(8 * 86400)
    runs.append(run_tap(config, streams=[stream], state=state, clock=clock))
    assert runs[-1].exit_code == 0

    # Rows present and untouched throughout the first run were delivered by it.
    stable = initial - mutations.changed - mutations.deleted
    first_run = {r[key] for r in runs[0].records(stream)}
    assert stable <= first_run, f"lost in the full pass: {sorted(stable - first_run)[:10]}"

    # Every row alive at the end: its last delivered version is its current content, in
    # a target that upserts by key and, on ACTIVATE_VERSION, retires every row the
    # pass of that version did not deliver.
    latest = {}
    for run in runs:
        for record in run.records(stream):
            latest[record[key]] = record
        activations = [
            m["version"]
            for m in run.messages
            if m["type"] == "ACTIVATE_VERSION" and m["stream"] == stream
        ]
        if activations:
            kept = {
                m["record"][key]
                for m in run.record_messages(stream)
                if m.get("version") == activations[-1]
            }
            latest = {pk: record for pk, record in latest.items() if pk in kept}
    for row in table.rows():
        delivered = latest.get(row[key])
        assert delivered is not None, f"row {row[key]} was never delivered"
        visible = {field: delivered.get(field, "<missing>") for field in row}
        assert _plain(visible) == _plain(row), f"row {row[key]}: an old version was last"
        assert delivered["record_status"] == table.record_status(row[key])
    if len(emu.requests) >= 20:
        assert sum(mutations.applied.values()) > 0, "the ledger never changed under the sync"
    TOTALS.update(mutations.applied)
    TOTALS["rows checked"] += len(table.rows())
    TOTALS["seeds"] += 1


@pytest.fixture(scope="module", autouse=True)
def _report_totals():
    yield
    if TOTALS:
        print(f"\nmutation test totals: {dict(TOTALS)}")
