"""Unit tests of the verified offset reader against an in-memory list that changes
between page requests (the HTTP-level property test is in test_no_row_lost.py)."""

from __future__ import annotations

import random

import pytest

from tap_dualentry.pagination import KeySet, ListReader, Page


class MovingList:
    """A list served by offset/limit, mutated by a callback before every request."""

    def __init__(self, ids: list[int], *, cap: int = 100, count_skew: int = 0) -> None:
        self.ids = list(ids)
        self.cap = cap
        self.count_skew = count_skew
        self.requests = 0
        self.before = None

    def fetch(self, offset: int, limit: int) -> Page:
        if self.before is not None:
            self.before(self)
        self.requests += 1
        rows = [{"id": i} for i in self.ids[offset : offset + min(limit, self.cap)]]
        return Page(rows=rows, count=max(0, len(self.ids) + self.count_skew))


def read(source: MovingList, page_size: int, stop_after: int | None = None) -> list[int]:
    seen = KeySet()
    reader = ListReader(source.fetch, page_size=page_size, key_of=lambda r: r["id"], seen=seen)
    out: list[int] = []
    for n, view in enumerate(reader.pages()):
        out.extend(row["id"] for row in view.fresh)
        if stop_after is not None and n + 1 >= stop_after:
            reader.stop()
    return out


@pytest.mark.parametrize("size", [0, 1, 5, 99, 100, 101, 250, 1000])
@pytest.mark.parametrize("page_size", [1, 2, 7, 100])
def test_static_list_is_read_exactly_once(size, page_size):
    source = MovingList(list(range(1, size + 1)))
    assert read(source, page_size) == list(range(1, size + 1))


def test_request_count_with_overlap():
    source = MovingList(list(range(1, 1001)))
    read(source, 100)
    # 100 rows, then 99 new rows per page (one row of overlap): 1000 rows take 11 pages.
    assert source.requests == 11


@pytest.mark.parametrize("cap", [10, 37, 99])
def test_server_capping_pages_below_the_limit(cap):
    source = MovingList(list(range(1, 501)), cap=cap)
    assert read(source, 100) == list(range(1, 501))


@pytest.mark.parametrize("skew", [-50, -1, 1, 50])
def test_inexact_count(skew):
    source = MovingList(list(range(1, 301)), count_skew=skew)
    assert sorted(read(source, 100)) == list(range(1, 301))


@pytest.mark.parametrize("cap,skew", [(10, -200), (50, -5), (50, 60)])
def test_capped_pages_and_inexact_count_together(cap, skew):
    source = MovingList(list(range(1, 301)), cap=cap, count_skew=skew)
    assert sorted(read(source, 100)) == list(range(1, 301))


def test_deletes_behind_the_reader_do_not_skip_rows():
    source = MovingList(list(range(1, 1001)))

    def delete_two_read_rows(s: MovingList) -> None:
        if 0 < s.requests < 8:
            del s.ids[s.requests * 10 : s.requests * 10 + 2]

    source.before = delete_two_read_rows
    survivors = set(range(1, 1001)) - {i for i in range(1, 1001) if i not in source.ids}
    got = read(source, 100)
    assert len(got) == len(set(got))
    assert set(source.ids) <= set(got)
    del survivors


def test_inserts_at_the_front_do_not_repeat_rows():
    source = MovingList(list(range(1000, 0, -1)))
    counter = iter(range(2000, 3000))

    def insert_front(s: MovingList) -> None:
        if s.requests:
            s.ids[:0] = [next(counter) for _ in range(3)]

    source.before = insert_front
    original = set(range(1, 1001))
    got = read(source, 100)
    assert len(got) == len(set(got))
    assert original <= set(got)


def test_more_inserts_than_a_page_between_requests():
    source = MovingList(list(range(1000, 0, -1)))
    counter = iter(range(2000, 9000))

    def insert_front(s: MovingList) -> None:
        if s.requests == 3:
            s.ids[:0] = [next(counter) for _ in range(250)]

    source.before = insert_front
    got = read(source, 100)
    assert set(range(1, 1001)) <= set(got)
    assert len(got) == len(set(got))


@pytest.mark.parametrize("seed", range(200))
def test_random_mutations_never_lose_a_stable_row(seed):
    rng = random.Random(seed)
    size = rng.choice([5, 40, 230, 600])
    page_size = rng.choice([2, 3, 10, 100])
    source = MovingList(list(range(1, size + 1)), cap=rng.choice([100, 100, 7]))
    next_id = iter(range(10_000, 20_000))
    touched: set[int] = set()

    def mutate(s: MovingList) -> None:
        if s.requests > 60:
            return  # a ledger that changes faster than it is read forever is never read
        for _ in range(rng.choice([0, 0, 1, 2, 5])):
            action = rng.choice(["insert_front", "insert_end", "delete", "move_front"])
            if action == "insert_front":
                s.ids.insert(0, next(next_id))
            elif action == "insert_end":
                s.ids.append(next(next_id))
            elif s.ids:
                victim = rng.choice(s.ids)
                touched.add(victim)
                s.ids.remove(victim)
                if action == "move_front":
                    s.ids.insert(0, victim)

    source.before = mutate
    original = set(range(1, size + 1))
    got = read(source, page_size)
    assert len(got) == len(set(got)), "a row was delivered twice"
    missing = (original - touched) - set(got)
    assert not missing, f"rows present throughout were lost: {sorted(missing)[:10]}"


def test_stop_ends_after_the_current_page():
    source = MovingList(list(range(1, 1001)))
    got = read(source, 100, stop_after=2)
    assert got == list(range(1, 200))
    assert source.requests == 2


def test_keyset_dense_sparse_and_composite_keys():
    keys = KeySet()
    assert keys.add(5)
    assert not keys.add(5)
    assert keys.add(1)  # below the first key: the bitmap grows downwards
    assert keys.add(10**12)  # far outside: kept aside
    assert keys.add(("invoice", 3))
    assert not keys.add(("invoice", 3))
    assert 5 in keys and 1 in keys and 10**12 in keys and 2 not in keys
    assert len(keys) == 4
    for k in range(100_000):
        keys.add(k)
    assert len(keys) == 100_002
