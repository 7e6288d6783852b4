"""The command's help and version: no Python type names, the run's pass-through options."""

from __future__ import annotations

import re

import pytest

from s1harness import __version__
from s1harness.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert re.fullmatch(rf"s1harness {re.escape(__version__)}( \(commit \S+\))?\n",
                        capsys.readouterr().out)  # fmt: skip


@pytest.mark.parametrize(
    "command", [[], ["run"], ["remediate"], ["up"], ["estate", "init"], ["bench", "bus"]]
)
def test_help_shows_no_python_types(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    shown = capsys.readouterr().out
    assert not re.search(r"<(bool|int|str|float|Path|list\[)", shown), shown


def test_run_help_lists_the_pass_through_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--help"]) == 0
    shown = capsys.readouterr().out
    for option in ("-k", "-m", "-n 2", "--lf", "--s1h-bus", "--s1h-broker", "--s1h-external"):
        assert option in shown
    assert "Exit status: 0" in shown
