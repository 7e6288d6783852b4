"""The scenarios of DESIGN §3.4 for every S1SP cohort and SMETS1 device type, end to end on
the in-memory bus (the checks are :mod:`s1harness.testing.scenarios`, which ``s1harness run``
executes too): each asserts the check that accepted or refused the request at every hop, and
that a refusal changed no store."""

from __future__ import annotations

import pytest

from s1harness.testing import Harness
from s1harness.testing.scenarios import Scenario, catalogue

pytestmark = pytest.mark.vectors  # the DUIS XSD is read from the shared vectors

SCENARIOS = catalogue()


def test_the_catalogue_covers_every_cohort_and_device_type() -> None:
    for kind in ("positive NO handover", "negative Supplier", "partial S1SP rollout", "switch off"):
        names = {s.name for s in SCENARIOS if s.name.startswith(kind)}
        assert len(names) == 6, kind  # IOC, MOC, FOC x ESME, GPF
    assert len(SCENARIOS) == 27


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_scenario_in_memory(scenario: Scenario) -> None:
    async with Harness.start(scenario.estate) as h:
        await scenario.check(h)


@pytest.mark.mqtt
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_scenario_over_mqtt(scenario: Scenario) -> None:
    """The same scenario over MQTT, on the embedded broker."""
    async with Harness.start(scenario.estate, bus="mqtt") as h:
        await scenario.check(h)


@pytest.mark.mqtt
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_scenario_against_mosquitto(scenario: Scenario, mosquitto_url: str) -> None:
    """The same scenario over an external Mosquitto broker."""
    async with Harness.start(scenario.estate, bus="mqtt", broker=mosquitto_url) as h:
        await scenario.check(h)
