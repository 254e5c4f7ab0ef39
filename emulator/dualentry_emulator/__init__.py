"""An emulator of the DualEntry Public API, for tests, demos and benchmarks of clients.

from dualentry_emulator import Emulator, Behaviour, RateLimits, FaultPlan

with Emulator(api_key="k", seed=7, rows={"customers": 1000}) as emu:
    ...  # GET f"{emu.url}/public/v1/customers/" with header X-API-KEY: k
"""

from .behaviour import Behaviour
from .clock import Clock
from .emulator import Emulator, is_loopback
from .endpoints import CATALOGUE, HEALTH
from .faults import FAULT_KINDS, FaultPlan
from .profile import behaviour_from_report
from .ratelimit import RateLimits
from .requestlog import RequestRecord
from .spec import EndpointSpec, RowContext, RowFactory
from .tables import Table

__all__ = [
    "CATALOGUE",
    "FAULT_KINDS",
    "HEALTH",
    "Behaviour",
    "Clock",
    "Emulator",
    "EndpointSpec",
    "FaultPlan",
    "RateLimits",
    "RequestRecord",
    "RowContext",
    "RowFactory",
    "Table",
    "behaviour_from_report",
    "is_loopback",
]
