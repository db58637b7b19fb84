"""The local Cloud Control endpoint: Cloud Control's JSON protocol for every catalog type (the three
ApiGatewayV2 types on moto's backend, every other type on a schema-driven in-memory provider).

See :class:`Emulator`; ``python -m vtab.emulator --port 4566 --seed demo`` runs it standalone.
"""

from vtab.emulator.emulator import Emulator
from vtab.emulator.recorder import CallRecord
from vtab.emulator.seed import Seeded
from vtab.emulator.seed_types import SeededType
from vtab.emulator.switches import Settings

__all__ = ["CallRecord", "Emulator", "Seeded", "SeededType", "Settings"]
