"""``python -m s1harness`` runs the CLI."""

from s1harness.cli import entry_point

entry_point()
