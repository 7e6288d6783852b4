"""The SMETS1 ESME: a load switch and an active import register on top of the device protocol.

The import register only ever increases. It accrues at ``import_rate_kw`` while the supply is
connected and present, and by explicit :meth:`Smets1Esme.consume`; it is settled (accrued up to
the moment) before every change of load switch or supply, so a disconnection or an outage adds
nothing. Readings are whole Wh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import ClassVar

from s1harness.roles.smets1.bodies import ImportReading, SupplyReport, no_fields
from s1harness.roles.smets1.codes import (
    Cohort,
    DeviceType,
    InstructionCode,
    ResponseStatus,
    SupplyState,
)
from s1harness.roles.smets1.device import Clock, DeviceState, Handler, Outcome, Smets1Device
from s1harness.roles.smets1.frames import Instruction
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64

_SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class EsmeState(DeviceState):
    """An ESME's state: the device protocol state, the load switch and the import register."""

    supply: SupplyState = SupplyState.CONNECTED
    import_register_wh: int = 0


class Smets1Esme(Smets1Device):
    """A SMETS1 electricity meter.

    Args:
        device_id / cohort / key / clock: As for :class:`Smets1Device`.
        state: The initial state (default: connected, register at 0 Wh).
        import_rate_kw: The steady load, in kW, the register accrues while supply flows.
    """

    DEVICE_TYPE: ClassVar[DeviceType] = DeviceType.ESME

    def __init__(
        self,
        device_id: Eui64 | str,
        cohort: Cohort,
        key: bytes,
        clock: Clock,
        state: EsmeState | None = None,
        *,
        import_rate_kw: float = 0.0,
    ) -> None:
        state = state or EsmeState()
        super().__init__(device_id, cohort, key, clock, state)
        if import_rate_kw < 0:
            raise InputError(f"import rate {import_rate_kw} kW is negative")
        self._supply, self._rate_kw = state.supply, import_rate_kw
        self._energy_wh, self._accrued_at = float(state.import_register_wh), self._now()

    @property
    def state(self) -> EsmeState:
        base = super().state
        return EsmeState(
            base.instruction_floor,
            base.sequence,
            base.credentials,
            base.outage_start,
            self._supply,
            self.import_register_wh,
        )

    @property
    def supply_state(self) -> SupplyState:
        return self._supply

    @property
    def import_register_wh(self) -> int:
        """The active import register now, in whole Wh."""
        return int(self._energy_at(self._now()))

    def consume(self, kwh: float) -> None:
        """Add ``kwh`` to the import register now (the load drew it).

        Raises:
            InputError: if ``kwh`` is negative, or no supply flows (disconnected, outage).
        """
        if kwh < 0:
            raise InputError(f"consumption {kwh} kWh is negative: the register never decreases")
        if not self._flowing():
            raise InputError(f"{self.device_id}: no supply flows, nothing can be consumed")
        self._settle(self._now())
        self._energy_wh += kwh * 1000

    def _flowing(self) -> bool:
        return self.powered and self._supply == SupplyState.CONNECTED

    def _energy_at(self, now: datetime) -> float:
        if not self._flowing():
            return self._energy_wh
        hours = max(0.0, (now - self._accrued_at).total_seconds() / _SECONDS_PER_HOUR)
        return self._energy_wh + self._rate_kw * 1000 * hours

    def _settle(self, now: datetime) -> None:
        self._energy_wh = self._energy_at(now)
        self._accrued_at = max(self._accrued_at, now)

    def _power_changing(self, at: datetime) -> None:
        self._settle(at)

    def _read_import(self, instruction: Instruction) -> Outcome:
        no_fields(instruction.body)
        now = self._now()
        reading = ImportReading(int(self._energy_at(now)), now)
        return Outcome(ResponseStatus.OK, reading.to_body())

    def _switch(self, instruction: Instruction, supply: SupplyState) -> Outcome:
        no_fields(instruction.body)
        self._settle(self._now())
        self._supply = supply
        return Outcome(ResponseStatus.OK, SupplyReport(supply).to_body())

    def _disconnect(self, instruction: Instruction) -> Outcome:
        return self._switch(instruction, SupplyState.DISCONNECTED)

    def _reconnect(self, instruction: Instruction) -> Outcome:
        return self._switch(instruction, SupplyState.CONNECTED)

    HANDLERS: ClassVar[Mapping[InstructionCode, Handler]] = MappingProxyType(
        {
            **Smets1Device.HANDLERS,
            InstructionCode.READ_INSTANTANEOUS_IMPORT: _read_import,
            InstructionCode.DISCONNECT_SUPPLY: _disconnect,
            InstructionCode.RECONNECT_SUPPLY: _reconnect,
        }
    )
