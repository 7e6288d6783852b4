"""The facts the build documents state, recomputed from the code that running builds use, so the
documents cannot drift from it (docs/smets1-instruction-frame.md §4.3–4.4)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from s1harness.duis.srv import SRVS
from s1harness.estate import build
from s1harness.estate.build import System
from s1harness.estate.presets import preset
from s1harness.registry.model import Cohort
from s1harness.roles.dsp.service import Dsp
from s1harness.roles.smets1 import Cohort as FrameCohort
from s1harness.roles.smets1 import (
    DeviceResponse,
    Instruction,
    InstructionCode,
    ResponseStatus,
    Smets1Commissioning,
    seal,
    unseal,
)
from s1harness.roles.smets1.commissioning import KEY_LABEL
from s1harness.spec.identifiers import Eui64

DOCS = Path(__file__).resolve().parents[2] / "docs"
FRAME_DOC = DOCS / "smets1-instruction-frame.md"
CHECKS_DOC = DOCS / "checks.md"


def small() -> System:
    """The ``small`` preset, built as ``s1harness up`` and the Harness build it (afresh: the
    tests change its devices' state)."""
    estate = preset("small")
    return build(estate, clock=lambda: estate.start)


def section(path: Path, heading: str) -> str:
    """The text of ``path`` from ``heading`` to the next heading of the same or a higher level."""
    text = path.read_text(encoding="utf-8")
    start = text.index(heading)
    level = heading.split(" ", 1)[0]
    following = re.compile(rf"^#{{1,{len(level)}}} ", re.MULTILINE)
    end = following.search(text, start + len(heading))
    return text[start : end.start() if end else len(text)]


def fenced(text: str) -> str:
    """The first fenced block of ``text``."""
    match = re.search(r"^```[a-z]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert match, "no fenced block"
    return match.group(1)


def labelled(block: str) -> dict[str, str]:
    """``label  value`` lines (labels are words separated by single spaces)."""
    pairs = (re.match(r"(\S+(?: \S+)*)\s{2,}(.+)$", line) for line in block.splitlines())
    return {m.group(1): m.group(2).strip() for m in pairs if m}


# -- the SMETS1 device key ------------------------------------------------------------------------


def worked_example() -> dict[str, str]:
    heading = "### 4.4 Worked example: from the estate seed to a tag"
    return labelled(fenced(section(FRAME_DOC, heading)))


def test_the_device_key_example_is_what_an_estate_build_derives() -> None:
    example, system = worked_example(), small()
    estate = system.estate
    assert example["estate seed"] == estate.seed
    seed = bytes.fromhex(example["commissioning seed"])
    assert seed == hashlib.sha256(estate.seed.encode("utf-8")).digest()
    device, key = Eui64(example["device ID"]), bytes.fromhex(example["device key"])
    assert key == Smets1Commissioning(seed).device_key(device)
    assert KEY_LABEL == b"s1harness/smets1/device-key/v1" and len(KEY_LABEL) == 30
    assert system.cohorts[device] is Cohort.IOC
    assert system.s1sps[Cohort.IOC].device_key(device) == key  # what the estate's S1SP holds


def test_the_example_instruction_is_sealed_as_documented_and_the_device_answers_it() -> None:
    example, system = worked_example(), small()
    device, key = Eui64(example["device ID"]), bytes.fromhex(example["device key"])
    ping = Instruction(
        cohort=FrameCohort.IOC,
        device_id=device,
        sequence=1,
        correlation=1,
        code=InstructionCode.PING,
    )
    sealed = seal(ping, key)
    assert sealed.hex().upper() == example["frame before tag"] + example["integrity tag"]
    (answer,) = system.smets1[device].receive(sealed)
    response = unseal(answer, key)
    assert isinstance(response, DeviceResponse) and response.status is ResponseStatus.OK


# -- what the DSP carries out ---------------------------------------------------------------------


def _srv_order(variant: str) -> tuple[int, ...]:
    return tuple(int(part) for part in variant.split("."))


def test_the_checks_page_names_the_srvs_the_dsp_carries_out_and_those_it_only_knows() -> None:
    text = " ".join(CHECKS_DOC.read_text(encoding="utf-8").split())
    carried: dict[str, list[int]] = {}
    for variant, command_variant in sorted(Dsp.HANDLERS):
        carried.setdefault(variant, []).append(command_variant)
    said = " and ".join(
        f"{v} ({', '.join(f'CV {cv}' for cv in cvs)})" for v, cvs in carried.items()
    )
    assert f"The DSP carries out {said} only." in text
    known = ", ".join(sorted(set(SRVS) - set(carried), key=_srv_order))
    assert f"An SRV in its SRV table that it does not carry out — {known} —" in text
