"""The code tables of the S1SP↔SMETS1 device protocol (docs/smets1-instruction-frame.md §3).

Everything here is **harness-defined** — the real SMETS1 device protocols are proprietary —
except the alert codes, which are the GBCS-style hex codes S1SR names as a SMETS1 "Alert Code"
(the value a ``GBCSHexAlertCode`` carries), with the GBCS meanings of the gbcs-parser alert
table (SmartDCCInnovation/gbcs-parser).
"""

from __future__ import annotations

import enum
from datetime import timedelta


class Cohort(enum.IntEnum):
    """The SMETS1 migration cohort, and so the S1SP, a device belongs to."""

    IOC = 1
    MOC = 2
    FOC = 3


class FrameType(enum.IntEnum):
    """What a frame carries; the values mirror the GBCS CRA flag (GBCS §7.2.7)."""

    INSTRUCTION = 1
    """S1SP → device: an Instruction (the S1SR term)."""
    RESPONSE = 2
    """Device → S1SP: the outcome of one instruction."""
    ALERT = 3
    """Device → S1SP: an unsolicited SMETS1 alert."""


class DeviceType(enum.IntEnum):
    """The SMETS1 device types the harness emulates."""

    ESME = 1
    GPF = 2


class InstructionCode(enum.IntEnum):
    """Instruction codes (harness-defined). High octet: family; low octet: instruction."""

    JOIN = 0x0001
    """Liveness and identity: answers with the device type and its credential generations."""
    PING = 0x0002
    """Liveness: answers with the device clock."""
    READ_INSTANTANEOUS_IMPORT = 0x0101
    """ESME: read the active import register (Wh) — the Equivalent Steps of SRV 4.1.1."""
    UPDATE_SECURITY_CREDENTIALS = 0x0201
    """Record that the remote-party credentials behind a role changed (SRV 6.15.1, 6.21)."""
    DISCONNECT_SUPPLY = 0x0301
    """ESME: open the load switch (SRV 3.2)."""
    RECONNECT_SUPPLY = 0x0302
    """ESME: close the load switch (SRV 3.1)."""


class ResponseStatus(enum.IntEnum):
    """The status octet of a device response (harness-defined)."""

    OK = 0
    NOT_SUPPORTED_BY_DEVICE_TYPE = 1
    """A known instruction this device type cannot carry out (disconnect on a GPF)."""
    REPLAY = 2
    """The instruction's sequence counter is not above the device's floor; nothing was done."""
    INTEGRITY_FAILURE = 3
    """Reserved. The emulated device never sends it: a frame whose integrity tag fails is
    dropped in silence, so that the device is no oracle for forged frames."""
    BAD_INSTRUCTION = 4
    """An authentic instruction the device cannot act on: unknown code, wrong cohort, or a body
    that lacks or misstates a field."""


class SupplyState(enum.IntEnum):
    """The ESME load switch."""

    CONNECTED = 1
    DISCONNECTED = 2


class TlvTag(enum.IntEnum):
    """Body field tags (harness-defined; one namespace for every frame type)."""

    ROLE = 0x01
    """1 octet: a GBCS RemotePartyRole (2 supplier, 3 network operator)."""
    CRITICAL_CERTIFICATE_SERIAL = 0x02
    """1–20 octets: the Notified Critical Certificate ID's serial, unsigned big-endian."""
    CRITICAL_CERTIFICATE_ISSUER = 0x03
    """1–64 octets UTF-8: the Notified Critical Certificate ID's issuer X520 CommonName."""
    NON_CRITICAL_CERTIFICATE_SERIAL = 0x04
    """As 0x02, for the Notified Non-Critical Certificate ID."""
    NON_CRITICAL_CERTIFICATE_ISSUER = 0x05
    """As 0x03, for the Notified Non-Critical Certificate ID."""
    CREDENTIAL_GENERATION = 0x06
    """4 octets: how many credential updates the device has recorded for the role."""
    DEVICE_TYPE = 0x10
    """1 octet: :class:`DeviceType`."""
    DEVICE_TIME = 0x11
    """8 octets: the device clock, seconds since 1970-01-01T00:00:00Z."""
    IMPORT_REGISTER = 0x12
    """8 octets: the active import register in Wh."""
    SUPPLY_STATE = 0x13
    """1 octet: :class:`SupplyState`."""
    ALERT_TIME = 0x20
    """8 octets: when the alert was raised, seconds since the epoch."""
    OUTAGE_START = 0x21
    """8 octets: when the supply was lost, seconds since the epoch."""
    OUTAGE_END = 0x22
    """8 octets: when the supply came back, seconds since the epoch."""
    DIAGNOSTIC = 0x30
    """Up to 250 octets UTF-8: why an instruction was refused (as SMETS1Debug ``Error``)."""


class AlertCode(enum.IntEnum):
    """The GBCS-style alert codes SMETS1 devices in the harness raise
    (docs/smets1-instruction-frame.md §6)."""

    SUPPLY_OUTAGE_RESTORED = 0x8F35
    """Supply Outage Restored (the outage lasted less than 3 minutes)."""
    SUPPLY_OUTAGE_RESTORED_3_MINUTES = 0x8F36
    """Supply Outage Restored - Outage >= 3 minutes (the NO's ECS80 alert on SMETS2)."""
    SUPPLY_INTERRUPTED = 0x8F57
    """Supply interrupted: the outage has begun (the device's last-gasp alert)."""

    @property
    def description(self) -> str:
        """The GBCS text, suitable for DUIS ``AlertDescription`` (at most 250 characters)."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    AlertCode.SUPPLY_OUTAGE_RESTORED: "Supply Outage Restored",
    AlertCode.SUPPLY_OUTAGE_RESTORED_3_MINUTES: "Supply Outage Restored - Outage >= 3 minutes",
    AlertCode.SUPPLY_INTERRUPTED: "Supply interrupted",
}

LONG_OUTAGE = timedelta(minutes=3)
"""An outage at least this long is restored with 8F36 rather than 8F35."""
