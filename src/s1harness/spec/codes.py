"""Every code the harness emits, in one table, with where its meaning comes from.

Three families: DUIS response codes (``sr:ResponseCode``), S1SP alert codes (the free-text
``S1SPAlertCode``), and DCC alert codes (``DCCAlertCode``). Sources:

* **DUIS**: a code whose meaning is public (the DUIS response code list);
* **seed**: a meaning given by the modification's seed documents or an unverified lead
  (SECMP0107 FIA; S1VE4/S1VE64; E061501);
* **harness-defined**: the code exists in DUIS 5.4 (or, for SECMP0058, in a schema overlay) but
  no public text gives its meaning, or the alert code list is not public — the harness assigns
  the meaning stated here, and a Service Provider comparing against a real build should expect
  these to differ.

Each code is a module constant (``codes.E4``) and the emulators answer with these constants
only, so this table is the one place a code's text is written. Which check answers with which
code is in :mod:`s1harness.spec.checks`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from s1harness.spec.errors import InputError


class CodeKind(enum.StrEnum):
    RESPONSE = "DUIS response code"
    S1SP_ALERT = "S1SP alert code"
    DCC_ALERT = "DCC alert code"


class CodeSource(enum.StrEnum):
    DUIS = "DUIS"
    SEED = "seed document"
    HARNESS = "harness-defined"


@dataclass(frozen=True, slots=True)
class Code:
    """One code: its family, meaning and source. It reads as the code itself (``str(E4)``)."""

    code: str
    kind: CodeKind
    meaning: str
    source: CodeSource

    def __str__(self) -> str:
        return self.code

    def __repr__(self) -> str:
        return f"Code({self.code!r})"

    @property
    def refuses(self) -> bool:
        """True for a code that refuses a request (an error or an S1SP alert)."""
        return self.kind is CodeKind.S1SP_ALERT or self.code.startswith("E")


_R, _S, _D = CodeKind.RESPONSE, CodeKind.S1SP_ALERT, CodeKind.DCC_ALERT
_DUIS, _SEED, _HARNESS = CodeSource.DUIS, CodeSource.SEED, CodeSource.HARNESS

I0 = Code("I0", _R, "success", _DUIS)
I99 = Code("I99", _R, "acknowledgement: accepted and passed access control", _DUIS)
E1 = Code("E1", _R, "user / user role is not a valid SEC party and role", _DUIS)
E2 = Code("E2", _R, "user role not permitted to send this SRV", _DUIS)
E3 = Code("E3", _R, "user status does not permit this SR", _DUIS)
E4 = Code("E4", _R, "user not eligible for the device at the required time", _DUIS)
E5 = Code("E5", _R, "device SMI status incompatible with the SR", _DUIS)
E11 = Code("E11", _R, "SRV not compatible with the device type", _DUIS)
E12 = Code("E12", _R, "command variant not applicable to the request", _DUIS)
E13 = Code(
    "E13",
    _R,
    "request type not valid for the URL (CommandVariant vs the DCC Boxed web service)",
    _DUIS,
)
E19 = Code("E19", _R, "device does not exist in the inventory", _DUIS)
E20 = Code("E20", _R, "cannot establish communications with the device", _DUIS)
E21 = Code("E21", _R, "no response from the device", _DUIS)
E40 = Code("E40", _R, "request is not valid against the DUIS 5.4 XSD", _HARNESS)
E41 = Code(
    "E41", _R, "XML signature, signing certificate, role or originator check failed", _HARNESS
)
E42 = Code(
    "E42",
    _R,
    "RequestID counter not above the last accepted for the originator (replay)",
    _HARNESS,
)
E43 = Code(
    "E43",
    _R,
    "signed pre-command is not the pre-command issued, or carries no signature (the DSP does "
    "not verify it)",
    _HARNESS,
)
E44 = Code("E44", _R, "SRV not in the emulated DSP's SRV table", _HARNESS)
E061501 = Code(
    "E061501",
    _R,
    "combination of user role, remote party role and device type is incorrect",
    _SEED,
)
E061504 = Code(
    "E061504",
    _R,
    "a replacement certificate is unusable (not DER, wrong role or key usage, no path)",
    _HARNESS,
)
E061505 = Code("E061505", _R, "no replacement certificate given", _HARNESS)
E061510 = Code(
    "E061510",
    _R,
    "Certificate Party / MPAN mismatch (SECMP0058 proposal; schema overlay)",
    _HARNESS,
)
S1VE1 = Code("S1VE1", _S, "DSP countersignature did not verify", _HARNESS)
S1VE2 = Code(
    "S1VE2",
    _S,
    "the authorising remote party signature did not verify with the notified certificate",
    _HARNESS,
)
S1VE3 = Code("S1VE3", _S, "originator counter not above the execution counter (replay)", _HARNESS)
S1VE4 = Code("S1VE4", _S, "registration data validation failed at the S1SP", _SEED)
S1VE5 = Code("S1VE5", _S, "the device refused the instruction (a status other than OK)", _HARNESS)
S1VE64 = Code(
    "S1VE64", _S, "the sender's security credential is not (or no longer) on the device", _SEED
)
N42 = Code(
    "N42", _D, "SecurityCredentialsUpdated: credentials in a remote party role changed", _HARNESS
)
N43 = Code("N43", _D, "S1SPAlertDSP: an S1SP alert relayed by the DSP", _HARNESS)

CODES: dict[str, Code] = {
    c.code: c
    for c in (
        I0, I99, E1, E2, E3, E4, E5, E11, E12, E13, E19, E20, E21, E40, E41, E42, E43, E44,
        E061501, E061504, E061505, E061510, S1VE1, S1VE2, S1VE3, S1VE4, S1VE5, S1VE64, N42, N43,
    )
}  # fmt: skip


def code(name: str) -> Code:
    """The table entry for ``name``.

    Raises:
        InputError: for a code the harness does not use.
    """
    try:
        return CODES[name]
    except KeyError:
        raise InputError(f"unknown code {name!r}") from None
