"""Every endpoint over HTTP: auth, paging to the end with its count, the default order, the
primary-key and updated orders, unknown parameters, and byte-identical pages for a seed."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from dualentry_emulator import CATALOGUE, Behaviour, Emulator

from .catalogue_support import (
    NAMES,
    SMALL,
    default_listing,
    everything,
    expected_order,
    fetch,
    fetch_keys,
    pk_of,
    url,
)

SEED = 21
TINY = dict.fromkeys(NAMES, 8)


@pytest.fixture(scope="module")
def emu(client):
    with Emulator(client.key, seed=SEED, rows=SMALL) as emulator:
        yield emulator


@pytest.mark.parametrize("name", NAMES)
def test_auth(emu, client, name):
    assert client.request(url(emu, name), key=None).status == 401
    reply = client.request(url(emu, name), key="not-the-key")
    assert reply.status == 403
    assert reply.json() == {
        "success": False,
        "errors": {"__all__": ["API key authentication failed"]},
    }


@pytest.mark.parametrize("name", NAMES)
def test_paging_to_the_end_in_the_default_order(emu, client, name):
    spec, table = CATALOGUE[name], emu.table(name)
    items, counts = fetch(client, emu, name, limit=7)
    listed = default_listing(table, spec, Behaviour().default_record_statuses)
    assert counts == {len(listed)} and len(items) == len(listed) > 0
    keys = [pk_of(spec, item) for item in items]
    assert len(set(keys)) == len(keys)
    assert keys == expected_order(table, spec, spec.default_ordering, listed)
    # Items served are exactly the stored rows.
    stored = {pk_of(spec, row): row for row in listed}
    assert all(item == stored[pk_of(spec, item)] for item in items)


@pytest.mark.parametrize("name", [n for n in NAMES if CATALOGUE[n].ordering_param])
def test_primary_key_and_updated_orderings(emu, client, name):
    spec, table = CATALOGUE[name], emu.table(name)
    base = everything(spec)
    rows = table.rows()
    for ordering in ("id", "-id", "-updated_at", "updated_at", "-updated_at,id"):
        keys = fetch_keys(client, emu, name, [*base, ("ordering", ordering)])
        assert keys == expected_order(table, spec, ordering, rows), ordering


@pytest.mark.parametrize("name", [n for n in NAMES if not CATALOGUE[n].ordering_param])
def test_lists_without_ordering_ignore_it(emu, client, name):
    spec = CATALOGUE[name]
    plain = client.request(url(emu, name), everything(spec))
    asked = client.request(url(emu, name), [*everything(spec), ("ordering", "-nonsense")])
    assert asked.status == 200 and asked.body == plain.body


@pytest.mark.parametrize("name", NAMES)
def test_unknown_parameters_are_ignored(emu, client, name):
    plain = client.request(url(emu, name), {"limit": 5})
    noisy = client.request(url(emu, name), {"limit": 5, "colour": "blue", "page": "3"})
    assert noisy.status == 200 and noisy.body == plain.body


def _digest(client, emu) -> str:
    h = hashlib.sha256()
    for name in NAMES:
        h.update(
            client.request(url(emu, name), [*everything(CATALOGUE[name]), ("limit", 100)]).body
        )
    return h.hexdigest()


def test_same_seed_same_bytes_in_process_and_across_processes(emu, client):
    with Emulator(client.key, seed=SEED, rows=SMALL) as twin:
        assert _digest(client, twin) == _digest(client, emu)
    # Another process with another hash seed: nothing may depend on set or dict hashing.
    script = (
        "import hashlib, json\n"
        "from dualentry_emulator import CATALOGUE, Emulator\n"
        f"emu = Emulator('k', seed={SEED}, rows={TINY!r})\n"
        "h = hashlib.sha256()\n"
        "for name in CATALOGUE:\n"
        "    rows = emu.table(name).rows()\n"
        "    h.update(json.dumps(rows, ensure_ascii=False).encode())\n"
        "print(h.hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    tiny = Emulator(client.key, seed=SEED, rows=TINY)
    h = hashlib.sha256()
    for name in NAMES:
        h.update(json.dumps(tiny.table(name).rows(), ensure_ascii=False).encode())
    assert out == h.hexdigest()
