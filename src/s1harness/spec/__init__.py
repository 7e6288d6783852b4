"""Identifiers, roles and error codes shared by every layer (no I/O, no third-party imports)."""

from s1harness.spec.errors import HarnessError, InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole

__all__ = ["Eui64", "HarnessError", "InputError", "KeyUsage", "RemotePartyRole"]
