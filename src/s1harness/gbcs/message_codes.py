"""GBCS message codes: the use case each identifies.

The table covers every code in the RTDS 4.5.0 vectors the project tests against, the whole
CS02b range, and the alert codes the emulators emit. Names follow the GBCS use-case titles;
where public text gives only an identifier (0x011B "CS02f", the CS02g codes), the name says
what the data shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from s1harness.gbcs.errors import GbcsError


@dataclass(frozen=True, slots=True)
class MessageCode:
    """A GBCS message code and its use case."""

    code: int
    use_case: str
    name: str
    replacement_mode: int | None = None
    """For CS02b/CS02g: the CredentialsReplacementMode the code carries."""


_TABLE = (
    MessageCode(0x0002, "CCS02", "Remove Device from CHF Device Log"),
    MessageCode(0x0008, "CS02a", "Provide Security Credentials Details"),
    MessageCode(0x000A, "CS02c", "Issue Security Credentials"),
    MessageCode(0x000B, "CS02d", "Update Device Certificates on Device"),
    MessageCode(0x000C, "CS02e", "Provide Device Certificates from Device"),
    MessageCode(0x000D, "CS03A1", "Method A Join (Meter)"),
    MessageCode(0x0019, "ECS01a", "Set Tariff and Price on ESME"),
    MessageCode(0x001A, "ECS02", "Set ESME Payment Mode to Credit"),
    MessageCode(0x0027, "ECS17b", "Read ESME Energy Registers (Import Energy)"),
    MessageCode(0x0067, "ECS80", "Supply Outage Restore Alert from ESME"),
    MessageCode(0x006C, "GCS02", "Set GSME Payment Mode to Credit"),
    MessageCode(0x0090, "PCS02", "PPMID command to GSME"),
    MessageCode(0x00CA, "FD-FW", "Future-dated firmware activation alert"),
    MessageCode(0x00CB, "CS02b", "Future-dated Update Security Credentials alert"),
    MessageCode(0x00CC, "FD-DLMS", "Future-dated execution alert (DLMS COSEM)"),
    MessageCode(0x00CD, "FD-GBZ", "Future-dated execution alert (GBZ)"),
    *(
        MessageCode(0x0100 + mode, "CS02b", f"Update Security Credentials ({name})", mode)
        for mode, name in enumerate(
            (
                "rootBySupplier",
                "rootByWanProvider",
                "supplierBySupplier",
                "networkOperatorByNetworkOperator",
                "accessControlBrokerByACB",
                "wanProviderByWanProvider",
                "transCoSByTransCoS",
                "supplierByTransCoS",
                "anyExceptAbnormalRootByRecovery",
                "anyByContingency",
            )
        )
    ),
    MessageCode(0x011B, "CS02f", "Provide Security Credentials Details (incl. loadController)"),
    MessageCode(0x0120, "ECS100", "Supplementary remote party alert"),
    MessageCode(0x0124, "CS02g", "Future-dated Update Security Credentials alert (CS02g)"),
    MessageCode(
        0x0125, "CS02g", "Update Security Credentials (loadControllerByLoadController)", 10
    ),
    MessageCode(0x0126, "CS02g", "Update Security Credentials (loadControllerBySupplier)", 11),
    MessageCode(0x1000, "GCA", "Generic Critical Alert"),
    MessageCode(0x1001, "GNCA", "Generic Non-Critical Alert"),
)

MESSAGE_CODES: dict[int, MessageCode] = {entry.code: entry for entry in _TABLE}


def lookup(code: int) -> MessageCode | None:
    """The table entry for ``code``, if the harness knows it."""
    return MESSAGE_CODES.get(code)


def for_replacement_mode(mode: int) -> MessageCode:
    """The CS02b/CS02g command code that carries ``mode``.

    Raises:
        GbcsError: for a mode no message code carries.
    """
    for entry in _TABLE:
        if entry.replacement_mode == mode:
            return entry
    raise GbcsError(f"no message code carries credentials replacement mode {mode}")
