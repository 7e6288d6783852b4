"""The one table of checks: every check defined once, every refusal in the source naming a check
and one of its codes, checks named the same way everywhere, and SECMP0107's predicate as a
complete truth table."""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import pytest

from s1harness.duis.srv import SRVS as SRV_TABLE
from s1harness.spec import checks, codes
from s1harness.spec.checks import CHECKS, Check, Hop, Refusal, answering, mp107_exempt, named
from s1harness.spec.codes import CODES
from s1harness.spec.devices import Smets
from s1harness.spec.errors import InputError
from s1harness.spec.roles import RemotePartyRole
from s1harness.spec.users import UserRole

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "src" / "s1harness"


def test_every_check_is_defined_once() -> None:
    assert len({c.name for c in CHECKS}) == len(CHECKS)
    assert len({(c.hop, c.order) for c in CHECKS}) == len(CHECKS)
    module_constants = [v for v in vars(checks).values() if isinstance(v, Check)]
    assert sorted(c.name for c in module_constants) == sorted(c.name for c in CHECKS)
    for check in CHECKS:
        assert named(check.name) is check and str(check) == check.name
        assert check.what and check.source


def test_each_code_is_answered_by_one_check_and_every_refusal_code_by_some_check() -> None:
    answered = [code for check in CHECKS for code in check.codes]
    assert len(answered) == len(set(answered))
    assert all(CODES[c.code] is c for c in answered)
    unused = {"E3"}  # user status: a DUIS code the emulated DSP never has cause to send
    for code in CODES.values():
        if code.refuses and code.code not in unused:
            assert code in answering(code).codes
    with pytest.raises(InputError, match="no check answers"):
        answering("I0")
    with pytest.raises(InputError, match="no check is called"):
        named("DSP" + " check 5")


def test_pipelines_keep_the_design_order() -> None:
    dsp = [c for c in CHECKS if c.hop is Hop.DSP and c.order < 20]
    s1sp = [c for c in CHECKS if c.hop is Hop.S1SP and c.order < 20]
    assert [c.name for c in sorted(dsp, key=lambda c: c.order)] == [
        "DUIS XSD", "DUIS XML signature", "DUIS RequestID counter", "DUIS web service",
        "DSP SRV support", "DUIS access matrix", "DUIS device checks", "DUIS credentials body",
        "SRPD 6.1(f)", "SECMP0058", "DUIS signed pre-command",
    ]  # fmt: skip
    assert [c.name for c in sorted(s1sp, key=lambda c: c.order)] == [
        "S1SP countersignature", "SRPD 16.1", "S1SR 4.2", "S1SP authorising signature",
        "S1SP execution counter", "S1SP execution",
    ]  # fmt: skip


def test_a_refusal_must_use_a_code_of_its_check() -> None:
    refusal = Refusal(checks.OWNER, codes.S1VE64, "not the owner")
    assert (refusal.code, refusal.answer, refusal.check) == ("S1VE64", codes.S1VE64, checks.OWNER)
    with pytest.raises(ValueError, match="does not answer with E4"):
        Refusal(checks.OWNER, codes.E4, "wrong code")


# -- the source ------------------------------------------------------------------------------------


def _calls(name: str) -> list[tuple[Path, ast.Call]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            func = node.func if isinstance(node, ast.Call) else None
            if getattr(func, "id", None) == name or getattr(func, "attr", None) == name:
                assert isinstance(node, ast.Call)
                found.append((path, node))
    return found


def _constant(node: ast.expr, module: object) -> object:
    """The module constant an argument names (``checks.OWNER``, ``spec_checks.OWNER``)."""
    assert isinstance(node, ast.Attribute), ast.unparse(node)
    return getattr(module, node.attr)


def test_every_refusal_in_the_source_names_a_check_and_one_of_its_codes() -> None:
    calls = _calls("Refusal")
    assert len(calls) > 30
    for path, call in calls:
        where = f"{path.relative_to(ROOT)}:{call.lineno}"
        assert len(call.args) == 3, where
        check = _constant(call.args[0], checks)
        code = _constant(call.args[1], codes)
        assert isinstance(check, Check) and check in CHECKS, where
        assert code in check.codes, f"{where}: {check} never answers {code}"


def test_codes_are_written_only_in_the_code_table() -> None:
    pattern = re.compile(r"^(E\d+|S1VE\d+|N4[23]|I0|I99)$")
    for path in sorted(SOURCE.rglob("*.py")):
        if path == SOURCE / "spec" / "codes.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not pattern.match(node.value), f"{path.relative_to(ROOT)}:{node.lineno}"


def test_no_check_is_named_by_its_number_anywhere() -> None:
    """What grepping src, tests, features and docs for a numbered check name finds: nothing."""
    written = ("DSP" + " check", "S1SP" + " check")  # split, so this file does not match
    for folder in ("src", "tests", "features", "docs"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".feature", ".md", ".yaml"}:
                text = path.read_text(encoding="utf-8")
                assert not any(w in text for w in written), path.relative_to(ROOT)
    assert (ROOT / "README.md").read_text(encoding="utf-8").count(written[0]) == 0


def test_the_exemption_and_the_owner_check_are_defined_once() -> None:
    for text, where in (("6.2(d)", "spec/checks.py"), ('"S1VE64"', "spec/codes.py")):
        holders = [
            str(p.relative_to(SOURCE))
            for p in sorted(SOURCE.rglob("*.py"))
            if text in "".join(_strings(p))
        ]
        assert holders == [where], text


def _strings(path: Path) -> list[str]:
    """The string literals of a module, docstrings included, with their quotes."""
    tree = ast.parse(path.read_text(), str(path))
    return [
        repr(n.value).replace("'", '"')
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


# -- SECMP0107's predicate --------------------------------------------------------------------

TARGETS = (*RemotePartyRole, None)
SRVS = (*SRV_TABLE, "11.2")  # every SRV the DUIS layer models, and one it does not
EXEMPT = {
    (sender, Smets.SMETS1, RemotePartyRole.NETWORK_OPERATOR, "6.15.1", True)
    for sender in (UserRole.ED, UserRole.GT)
}
"""The whole truth: the only rows where SRPD 6.2(d) lifts the registration data check."""


def test_the_mp107_predicate_over_every_combination() -> None:
    rows = list(itertools.product(UserRole, Smets, TARGETS, SRVS, (True, False)))
    assert len(rows) == len(UserRole) * 2 * len(TARGETS) * len(SRVS) * 2
    wrong = [
        row
        for row in rows
        if mp107_exempt(sender=row[0], generation=row[1], target=row[2], srv=row[3], switch=row[4])
        != (row in EXEMPT)
    ]
    assert wrong == []
    assert sum(row in EXEMPT for row in rows) == 2


# -- the document ---------------------------------------------------------------------------------


def checks_table() -> str:
    """The table of docs/checks.md, as the check table says it."""
    rows = [
        "| hop | order | check | codes | what it checks | source |",
        "|---|---|---|---|---|---|",
    ]
    for check in sorted(CHECKS, key=lambda c: (c.hop != Hop.DSP, c.order)):
        answers = ", ".join(str(c) for c in check.codes) or "—"
        rows.append(
            f"| {check.hop} | {check.order} | {check.name} | {answers} | {check.what} "
            f"| {check.source} |"
        )
    return "\n".join(rows)


def test_the_document_lists_every_check_as_the_table_has_it() -> None:
    document = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    assert checks_table() in document


def codes_table() -> str:
    """The code table of docs/checks.md, as the code table says it."""
    rows = ["| code | kind | meaning | source |", "|---|---|---|---|"]
    rows += [f"| {c.code} | {c.kind} | {c.meaning} | {c.source} |" for c in CODES.values()]
    return "\n".join(rows)


def test_the_document_lists_every_code_as_the_table_has_it() -> None:
    document = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    assert codes_table() in document
    for exemption in (checks.SMETS2_CRITICAL, checks.SRPD_6_2_C, checks.SRPD_6_2_D):
        assert f"| {exemption.name} | {', '.join(map(str, exemption.lifts))} |" in document
