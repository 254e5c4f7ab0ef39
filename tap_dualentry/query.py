"""What a stream asks its endpoint for: the filters, statuses and ordering of a pass."""

from __future__ import annotations

from tap_dualentry.catalogue import RECORD_STATUSES, Endpoint
from tap_dualentry.settings import Settings

Params = list[tuple[str, str]]


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
        return signature

    def params(self, company_id: int | None, ordering: str | None) -> Params:
        """Filters, statuses and ordering for every page of one pass."""
        params: Params = []
        if company_id is not None:
            params.append(("company_id", str(company_id)))
        # Every status is asked for by name: the server's default is undocumented.
        params.extend(("record_status", status) for status in self.record_statuses())
        for setting, parameter in self._endpoint.filters.items():
            values = self._settings.filter_values.get(setting, ())
            params.extend((parameter, value) for value in values)
        params.extend(self._endpoint.fixed_params)
        if ordering:
            params.append(("ordering", ordering))
        return params
