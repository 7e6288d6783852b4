"""Estates: who the parties are, which devices exist and what they hold; read from YAML, chosen
from presets, and built into a running set of roles (docs/estates.md)."""

from s1harness.estate.build import PartyKeys, System, build
from s1harness.estate.document import dumps, load, loads
from s1harness.estate.model import DeviceSpec, DspSpec, Estate, EstateError, S1spSpec
from s1harness.estate.presets import PRESETS, preset, resolve

__all__ = [
    "PRESETS",
    "DeviceSpec",
    "DspSpec",
    "Estate",
    "EstateError",
    "PartyKeys",
    "S1spSpec",
    "System",
    "build",
    "dumps",
    "load",
    "loads",
    "preset",
    "resolve",
]
