"""The local Cloud Control endpoint: Cloud Control's JSON protocol over moto's apigatewayv2 backend.

See :class:`Emulator`; ``python -m vtab.emulator --port 4566 --seed demo`` runs it standalone.
"""

from vtab.emulator.emulator import Emulator
from vtab.emulator.recorder import CallRecord
from vtab.emulator.seed import Seeded
from vtab.emulator.switches import Settings

__all__ = ["CallRecord", "Emulator", "Seeded", "Settings"]
