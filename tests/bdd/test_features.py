"""Every feature under features/ (pytest-bdd; steps in tests/bdd/steps)."""

from pytest_bdd import scenarios

scenarios(".")
