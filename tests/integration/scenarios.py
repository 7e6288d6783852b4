"""What the FIA scenario tests share: the device matrix of the ``small`` estate and ways to
read which check accepted or refused a request at each hop."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from s1harness.estate import DspSpec, Estate, S1spSpec, preset
from s1harness.estate.presets import (
    GAS_TRANSPORTER,
    NETWORK_OPERATOR,
    SUPPLIER,
    WRONG_GAS_TRANSPORTER,
    WRONG_NETWORK_OPERATOR,
)
from s1harness.registry.model import Cohort
from s1harness.roles.user import Exchange
from s1harness.spec.identifiers import Eui64
from s1harness.testing import Harness

COHORTS = ("IOC", "MOC", "FOC")
TYPES = ("ESME", "GPF")


@dataclass(frozen=True)
class Case:
    """One cell of the matrix: an S1SP cohort and a SMETS1 device type, with its parties."""

    cohort: str
    device_type: str

    @property
    def network_operator(self) -> Eui64:
        """The registered NO: the ED for an ESME's MPAN, the GT for a GPF's MPRN."""
        return NETWORK_OPERATOR if self.device_type == "ESME" else GAS_TRANSPORTER

    @property
    def wrong_network_operator(self) -> Eui64:
        return WRONG_NETWORK_OPERATOR if self.device_type == "ESME" else WRONG_GAS_TRANSPORTER

    @property
    def other_fuel_network_operator(self) -> Eui64:
        """A Network Operator of the other fuel (a GT for an ESME, an ED for a GPF)."""
        return GAS_TRANSPORTER if self.device_type == "ESME" else NETWORK_OPERATOR

    supplier = SUPPLIER

    def device(self, harness: Harness, *, wrong_no: bool = False) -> Eui64:
        return harness.device(
            smets=1, cohort=self.cohort, device_type=self.device_type, wrong_no=wrong_no
        )

    def __str__(self) -> str:
        return f"{self.cohort}-{self.device_type}"


CASES = [Case(c, t) for c in COHORTS for t in TYPES]


def estate(*, dsp_mp107: bool = True, not_updated: str | None = None) -> Estate:
    """The ``small`` estate with the DSP switch set and, optionally, one S1SP not updated."""
    s1sps = tuple(S1spSpec(c, mp107=dsp_mp107 and str(c) != not_updated) for c in Cohort)
    return dataclasses.replace(preset("small"), dsp=DspSpec(mp107=dsp_mp107), s1sps=s1sps)


def decisions(harness: Harness, exchange: Exchange) -> list[tuple[str, str, str]]:
    """``(hop, check, outcome)`` for one request at the DSP and the S1SPs, in order."""
    key = str(exchange.request_id)
    out = [("DSP", d.check, d.outcome) for d in harness.system.dsp.decisions if d.request_id == key]
    for cohort, s1sp in harness.system.s1sps.items():
        out += [(str(cohort), d.check, d.outcome) for d in s1sp.decisions if d.request_id == key]
    return out


def refused_at(harness: Harness, exchange: Exchange) -> tuple[str, str]:
    """The hop and check that refused the request."""
    rejected = [(hop, check) for hop, check, outcome in decisions(harness, exchange)
                if outcome == "rejected"]  # fmt: skip
    assert len(rejected) == 1, decisions(harness, exchange)
    return rejected[0]
