"""What a stream asks its endpoint for: the filters, statuses and ordering of a pass."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from tap_dualentry.catalogue import RECORD_STATUSES, Endpoint
from tap_dualentry.settings import Settings

Params = list[tuple[str, str]]
Partition = Mapping[str, Any]


class Query:
    """The query parameters of one endpoint under the run's settings (paging excluded)."""

    def __init__(self, endpoint: Endpoint, settings: Settings) -> None:
        self._endpoint = endpoint
        self._settings = settings

    def record_statuses(self) -> list[str]:
        allowed = self._endpoint.record_statuses
        if not allowed:
            return []
        if allowed != RECORD_STATUSES:
            return list(allowed)  # its own set (paper checks): always all of it
        return [status for status in self._settings.record_statuses if status in allowed]

    def signature(self) -> dict[str, list[str]]:
        """The filters, other than company ids, that decide which rows a bookmark covers."""
        signature = {"record_statuses": sorted(self.record_statuses())}
        for setting in sorted(self._endpoint.filters):
            signature[setting] = sorted(self._settings.filter_values.get(setting, ()))
        if self._endpoint.fixed_params:  # the tap's own: a new one may include more rows
            signature["fixed_params"] = sorted(f"{n}={v}" for n, v in self._endpoint.fixed_params)
        return signature

    def partitions(self) -> list[dict[str, Any]] | None:
        """The passes a run makes, each with its own bookmark, or None for one pass.

        One per configured company, so a company added later is read from the start; one
        for rows of no company where the endpoint has them (the company filter may leave
        them out); one per record status where items do not say their status.
        """
        endpoint = self._endpoint
        companies: list[int | None] = []
        if endpoint.company_filter and self._settings.company_ids:
            companies = [*self._settings.company_ids]
            if endpoint.unassigned_rows:
                companies.append(None)
        statuses = self.record_statuses() if endpoint.status_from_filter else []
        axes = [
            [(key, value) for value in values]
            for key, values in (("company_id", companies), ("record_status", statuses))
            if values
        ]
        if not axes:
            return None
        return [dict(combination) for combination in itertools.product(*axes)]

    def params(self, partition: Partition | None, ordering: str | None) -> Params:
        """Filters, statuses and ordering for every page of one partition's pass."""
        partition = partition or {}
        params: Params = []
        company = partition.get("company_id")
        if company is not None:
            params.append(("company_id", str(company)))
        # Every status is asked for by name: the server's default is undocumented.
        statuses = [partition["record_status"]] if "record_status" in partition else None
        params.extend(("record_status", status) for status in statuses or self.record_statuses())
        for setting, parameter in self._endpoint.filters.items():
            values = self._settings.filter_values.get(setting, ())
            params.extend((parameter, value) for value in values)
        params.extend(self._endpoint.fixed_params)
        if ordering:
            params.append(("ordering", ordering))
        return params
