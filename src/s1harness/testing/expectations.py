"""What the feature suite's steps (:mod:`s1harness.suite.steps`) expect of a run, as checks on a
:class:`Harness`: the cell of the sign-off matrix a SMETS1 device belongs to (:class:`Case`),
the ``small`` estate with the MP107 switches set (:func:`estate`), the check that accepted or
refused a request at every hop (:func:`decisions`, :func:`refused_at`), that a refusal changed
no store (:func:`changed_by_refusal`), and what an accepted request's response holds. A failed
expectation raises :class:`ScenarioFailure` saying what was expected and what happened.

The scenarios themselves are the Gherkin features (``features/``), which
``s1harness run`` and the test suite run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from s1harness.duis.messages import GbcsPayload, Response, ResponseMessage, SMETS1ResponseMessage
from s1harness.estate import DspSpec, Estate, S1spSpec, preset
from s1harness.estate.presets import (
    GAS_TRANSPORTER,
    NETWORK_OPERATOR,
    WRONG_GAS_TRANSPORTER,
    WRONG_NETWORK_OPERATOR,
)
from s1harness.gbcs.frames import GeneralSigningApdu, decode
from s1harness.gbcs.payloads import decode_update_security_credentials_response
from s1harness.registry.model import Cohort
from s1harness.roles.user import Exchange
from s1harness.spec import checks
from s1harness.spec.bus import COHORTS
from s1harness.spec.errors import HarnessError, InputError
from s1harness.spec.identifiers import Eui64
from s1harness.testing.harness import Harness, is_final, refusal


class ScenarioFailure(HarnessError, AssertionError):  # noqa: N818 - a scenario's result
    """An expectation of a scenario did not hold: what the system under test did was not what
    the scenario expects. An assertion failure, so pytest and Allure report the scenario
    *failed* (a product defect) — any other exception is *broken* (the harness, the
    environment or the build could not run it)."""

    code = "SCENARIO-FAILED"


def expect(condition: object, what: str) -> None:
    """Raise :class:`ScenarioFailure` saying ``what`` was expected unless ``condition``."""
    if not condition:
        raise ScenarioFailure(what)


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

    def device(self, harness: Harness, *, wrong_no: bool = False) -> Eui64:
        return harness.device(
            smets=1, cohort=self.cohort, device_type=self.device_type, wrong_no=wrong_no
        )

    def __str__(self) -> str:
        return f"{self.cohort}-{self.device_type}"


def estate(*, dsp_mp107: bool = True, not_updated: str | None = None) -> Estate:
    """The ``small`` estate with the MP107 switches set: the DSP's, and every S1SP's the same
    except one ``not_updated`` (a partial rollout)."""
    s1sps = tuple(S1spSpec(c, mp107=dsp_mp107 and str(c) != not_updated) for c in Cohort)
    return dataclasses.replace(preset("small"), dsp=DspSpec(mp107=dsp_mp107), s1sps=s1sps)


def decisions(harness: Harness, exchange: Exchange) -> list[tuple[str, str, str]]:
    """``(hop, check, outcome)`` for one request at the DSP and the S1SPs the Harness runs."""
    key = str(exchange.request_id)
    out = [
        ("DSP", str(d.check), str(d.outcome))
        for d in harness.system.dsp.decisions
        if d.request_id == key
    ]
    for cohort, s1sp in harness.system.s1sps.items():
        out += [
            (str(cohort), str(d.check), str(d.outcome))
            for d in s1sp.decisions
            if d.request_id == key
        ]
    return [step for step in out if harness.plays(step[0])]


def refused_at(
    harness: Harness, exchange: Exchange, outcome: Response | None = None
) -> tuple[str, str] | None:
    """The hop and check that refused the request (None unless exactly one did). For a hop
    another build plays, the check is the one its refusal code stands for (the check table),
    read from ``outcome`` (by default the request's first final message)."""
    rejected = [(hop, check) for hop, check, outcome in decisions(harness, exchange)
                if outcome == "rejected"]  # fmt: skip
    if len(rejected) == 1:
        return rejected[0]
    final = outcome or next((r for r in exchange.received if is_final(r)), None)
    got = refusal(final) if final else None
    if rejected or not got:
        return None
    try:
        check = checks.answering(got)
    except InputError:
        return None  # a code no check of the contract answers with
    hop = "DSP" if check.hop is checks.Hop.DSP else harness.serves(exchange.request_id.target)
    return None if harness.plays(hop) else (hop, check.name)


async def accepted(
    h: Harness, sender: Eui64, device: Eui64, srv: str, body: object, *, what: str
) -> Exchange:
    """Send, and expect a SMETS1 response (not a refusal)."""
    exchange = await h.send(sender, device, srv, body)  # type: ignore[arg-type]
    expect_smets1_response(await h.outcome(exchange), what)
    return exchange


def expect_smets1_response(outcome: Response, what: str) -> None:
    """An accepted SMETS1 request ends in the device's SMETS1 response (not a refusal)."""
    got = refusal(outcome) or type(outcome.body).__name__
    expect(isinstance(outcome.body, SMETS1ResponseMessage), f"{what} to be accepted, got {got}")


def changed_by_refusal(
    before: dict[str, object], after: dict[str, object], *, refused_by_dsp: bool
) -> list[str]:
    """The stores and role states (:meth:`Harness.snapshot` keys) that differ. A request the
    DSP accepted and an S1SP refused has consumed its RequestID counter at the DSP, as it must
    (a replay stays a replay), so the DSP's counters are left out unless the DSP refused."""

    def comparable(state: dict[str, object]) -> dict[str, object]:
        dsp = state.get("dsp")
        if refused_by_dsp or not isinstance(dsp, dict):
            return state
        return {**state, "dsp": {k: v for k, v in dsp.items() if k != "counters"}}

    was, now = comparable(before), comparable(after)
    return sorted(k for k in was if was[k] != now.get(k))


def device_response(outcome: Response, device: Eui64) -> GeneralSigningApdu:
    """The device's General-Signing CS02b response carried by a DUIS outcome, which must say
    every cell was replaced."""
    body = outcome.body
    expect(isinstance(body, ResponseMessage) and isinstance(body.content, GbcsPayload),
           f"a GBCS device response, got {refusal(outcome) or type(body).__name__}")  # fmt: skip
    apdu = decode(body.content.payload)  # type: ignore[union-attr]
    expect(isinstance(apdu, GeneralSigningApdu) and apdu.originator == device,
           "a General-Signing response from the device")  # fmt: skip
    assert isinstance(apdu, GeneralSigningApdu)  # narrowed by the expectation above
    payload = decode_update_security_credentials_response(apdu.content)
    outcomes = payload.outcome.replacement_outcomes if payload.outcome else ()
    statuses = [int(o.status) for o in outcomes]
    expect(statuses and not any(statuses), f"every cell replaced (status 0): {statuses}")
    return apdu


__all__ = [
    "COHORTS",
    "Case",
    "ScenarioFailure",
    "accepted",
    "changed_by_refusal",
    "decisions",
    "device_response",
    "estate",
    "expect",
    "expect_smets1_response",
    "refused_at",
]
