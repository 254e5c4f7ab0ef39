"""The catalogue machinery with a second, made-up endpoint: one factory and one spec."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dualentry_emulator import CATALOGUE, Behaviour, EndpointSpec, RowContext
from dualentry_emulator.draw import Draw, salt
from dualentry_emulator.factories.common import BaseFactory, put_actor
from dualentry_emulator.filters import BoolEquals, ColumnIn, DateCompare, IdIn
from dualentry_emulator.ordering import HIDDEN_UPDATED, PRIMARY_KEY, VisibleField
from dualentry_emulator.timestamps import render


class WidgetFactory(BaseFactory):
    """Transaction-like rows: `internal_id` key, a visible status and top-level times."""

    def build(self, row: RowContext) -> dict[str, Any]:
        draw = Draw(row.seed, salt("widgets"), row.rid)
        item: dict[str, Any] = {"internal_id": row.rid, "number": 5000 + row.rid}
        put_actor(item, "updated_by", row.world, draw, row.updated_ts, row.style)
        item["date"] = f"2024-{draw.between(1, 12):02d}-{draw.between(1, 28):02d}"
        item["memo"] = draw.pick(("Spare parts", "Consulting", "Café supplies"))
        item["is_recurring"] = draw.chance(0.3)
        item["company_id"] = row.company_id
        item["record_status"] = row.record_status
        item["updated_at"] = (
            render(row.updated_ts, row.style, row.rid) if row.updated_ts is not None else None
        )
        return item


WIDGETS = EndpointSpec(
    name="widgets",
    path="recurring/widgets/",
    factory=WidgetFactory(),
    versions=("v2",),
    primary_key=("internal_id",),
    rid_field="internal_id",
    default_ordering="id",
    orderings={"id": PRIMARY_KEY, "updated_at": HIDDEN_UPDATED, "number": VisibleField("number")},
    filters={
        "internal_id": IdIn(),
        "company_id": ColumnIn("company_id"),
        "is_recurring": BoolEquals("is_recurring"),
        "start_date": DateCompare("date", "gte"),
        "end_date": DateCompare("date", "lte"),
    },
    status_field="record_status",
    updated_at_field="updated_at",
    default_rows=40,
)


@pytest.fixture
def emu(make_emulator):
    return make_emulator(
        catalogue={**CATALOGUE, "widgets": WIDGETS}, rows={"customers": 20, "widgets": 80}
    )


def _get(client, emu, params=None):
    reply = client.request(emu.url_for("widgets", "v2"), params)
    assert reply.status == 200, reply.body
    return reply.json()


def test_served_on_its_own_path_and_versions_only(emu, client):
    assert _get(client, emu)["count"] > 0
    assert client.request(emu.url + "/public/v1/recurring/widgets/").status == 404
    with pytest.raises(ValueError):
        emu.url_for("widgets", "v1")


def test_default_order_and_generic_filters(emu, client):
    rows = emu.table("widgets").rows()
    items = _get(client, emu, {"limit": 100, "record_status": ["draft", "posted", "archived"]})
    assert [i["internal_id"] for i in items["items"]] == sorted(r["internal_id"] for r in rows)
    recurring = _get(client, emu, {"is_recurring": "true", "record_status": "posted", "limit": 100})
    assert all(i["is_recurring"] and i["record_status"] == "posted" for i in recurring["items"])
    window = _get(
        client,
        emu,
        {
            "start_date": "2024-03-01",
            "end_date": "2024-06-30",
            "record_status": ["draft", "posted", "archived"],
            "limit": 100,
        },
    )
    expected = {
        r["internal_id"]
        for r in rows
        if date(2024, 3, 1) <= date.fromisoformat(r["date"]) <= date(2024, 6, 30)
    }
    assert {i["internal_id"] for i in window["items"]} == expected
    for bad in ({"start_date": "March"}, {"is_recurring": "maybe"}):
        reply = client.request(emu.url_for("widgets", "v2"), bad)
        assert reply.status == 400 and list(reply.json()["errors"]) == list(bad)


def test_generic_mutations(emu, client):
    table = emu.table("widgets")
    target = table.ids()[3]
    before = table.row(target)
    table.edit(target)
    after = table.row(target)
    assert after["memo"] != before["memo"] and after["updated_at"] != before["updated_at"]
    assert after["updated_by"]["timestamp"] is not None
    assert list(after) == list(before) or set(after) == set(before) | {"updated_by"}
    newest = _get(client, emu, {"ordering": "-updated_at", "limit": 1})["items"][0]
    assert newest["internal_id"] == target
    table.archive(target)
    assert table.row(target)["record_status"] == "archived"  # the visible mirror follows
    assert target not in {i["internal_id"] for i in _get(client, emu, {"limit": 100})["items"]}
    new = table.insert(1)
    assert new == [max(r["internal_id"] for r in table.rows())]


def test_edit_restores_a_missing_actor_in_schema_order(make_emulator):
    emu = make_emulator(rows={"customers": 300}, behaviour=Behaviour(untimestamped_fraction=0.2))
    table = emu.table("customers")
    target = next(r["id"] for r in table.rows() if "updated_by" not in r)
    table.edit(target)
    keys = list(table.row(target))
    assert keys.index("updated_by") == keys.index("approval_status") - 1


def test_specs_are_checked():
    with pytest.raises(ValueError):
        EndpointSpec(name="x", path="/x/", factory=WidgetFactory())
    with pytest.raises(ValueError):
        EndpointSpec(name="x", path="x/", factory=WidgetFactory(), default_ordering="-created_at")
