"""Every check the emulated DSP and S1SPs apply, each defined once, as data (docs/checks.md).

A check's :attr:`Check.name` is how everything names it — the raise site that refuses with it,
the decision log, the step library, the feature tables (``E4 at SRPD 6.1(f)``) and a
conformance verdict. Where the check enforces a public clause (SRPD 6.1(f), SRPD 16.1,
S1SR 4.2, the SECMP0058 proposal) the name *is* that clause; where no public text numbers the
check, the name says what is checked (``DUIS XML signature``) and :attr:`Check.source` says
"harness-defined", as the code table does for codes.

:attr:`Check.order` is the check's place in its hop's pipeline: the first check to fail
answers, with one of :attr:`Check.codes`. Steps after a pipeline (routing, relays, execution
and alert routing) have orders from 20 on.

The exemptions from the registration data checks are data too (:data:`SRPD_6_2_C`,
:data:`SRPD_6_2_D`, :data:`SMETS2_CRITICAL`), and :func:`mp107_exempt` is the one statement of
SECMP0107's rule, which the DSP applies with its switch and every S1SP with its own flag.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from s1harness.spec import codes
from s1harness.spec.codes import Code, CodeSource
from s1harness.spec.devices import Smets
from s1harness.spec.errors import HarnessError, InputError
from s1harness.spec.roles import RemotePartyRole
from s1harness.spec.users import UserRole


class Hop(enum.StrEnum):
    """The role that applies a check."""

    DSP = "DSP"
    S1SP = "S1SP"


class Outcome(enum.StrEnum):
    """What a check made of one request."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    LIFTED = "lifted"
    """Not applied: an exemption (:class:`Exemption`) lifts it for this request."""
    SENT = "sent"
    RELAYED = "relayed"


@dataclass(frozen=True, slots=True)
class Check:
    """One check: its name (a clause where one is public), the hop and its place there, the
    codes it answers with, and what it checks. It reads as its name (``str(RDP) == "SRPD
    6.1(f)"``)."""

    name: str
    hop: Hop
    order: int
    codes: tuple[Code, ...]
    what: str
    source: CodeSource

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"Check({self.name!r})"


@dataclass(frozen=True, slots=True)
class Exemption:
    """A rule that lifts checks for some requests, and why it does."""

    name: str
    lifts: tuple[Check, ...]
    what: str

    def __str__(self) -> str:
        return f"{self.name}: {self.what}"


_DSP, _S1SP = Hop.DSP, Hop.S1SP
_DUIS, _SEED, _HARNESS = CodeSource.DUIS, CodeSource.SEED, CodeSource.HARNESS

# -- the DSP: a User's request ---------------------------------------------------------------------

DUIS_XSD = Check(
    "DUIS XSD", _DSP, 1, (codes.E40,), "well-formed XML, valid against the DUIS 5.4 XSD", _DUIS
)
DUIS_SIGNATURE = Check(
    "DUIS XML signature",
    _DSP,
    2,
    (codes.E41,),
    "the XML signature verifies with a known, in-date XML-signing certificate (role 135) of "
    "the RequestID originator",
    _DUIS,
)
DUIS_REPLAY = Check(
    "DUIS RequestID counter",
    _DSP,
    3,
    (codes.E42,),
    "the RequestID counter is above the last accepted from the originator (a CV 5 continues "
    "its CV 4)",
    _HARNESS,
)
WEB_SERVICE = Check(
    "DUIS web service",
    _DSP,
    4,
    (codes.E13,),
    "a request posted to a DCC Boxed URL was posted to the URL of its CommandVariant",
    _DUIS,
)
SRV_SUPPORTED = Check(
    "DSP SRV support",
    _DSP,
    5,
    (codes.E44,),
    "the SRV is in the emulated DSP's SRV table; one there that it does not carry out is "
    "refused at the device checks (E12)",
    _HARNESS,
)
ACCESS_MATRIX = Check(
    "DUIS access matrix",
    _DSP,
    6,
    (codes.E1, codes.E2),
    "the User is known (E1) and holds a role permitted to send the SRV (E2)",
    _DUIS,
)
DEVICE = Check(
    "DUIS device checks",
    _DSP,
    7,
    (codes.E19, codes.E5, codes.E11, codes.E12),
    "the device is in the inventory (E19), its SMI status permits the SRV (E5), the SRV fits "
    "its type (E11), and the command variant fits the SRV and is one the DSP carries out: "
    "6.15.1 CV 4 with its body and CV 5, 6.21 CV 1 with its body (E12)",
    _DUIS,
)
CREDENTIALS_BODY = Check(
    "DUIS credentials body",
    _DSP,
    8,
    (codes.E061501, codes.E061505, codes.E061504),
    "a 6.15.1 or 6.21 body: the user role may place the remote party role on the device type "
    "(E061501), a replacement certificate is given (E061505), each certificate has its slot's "
    "role and key usage and a path to a trust anchor (E061504)",
    _SEED,
)
RDP = Check(
    "SRPD 6.1(f)",
    _DSP,
    9,
    (codes.E4,),
    "the User is the eligible user for the device's MPAN/MPRN at the time that matters (the "
    "execution time of a future-dated request), save for the SRPD 6.2 exemptions",
    _SEED,
)
MP058 = Check(
    "SECMP0058",
    _DSP,
    10,
    (codes.E061510,),
    "(optional switch) a Supplier placing NO certificates on an ESME with a known MPAN places "
    "those of the NO for the MPAN's distributor",
    _SEED,
)
PRECOMMAND = Check(
    "DUIS signed pre-command",
    _DSP,
    11,
    (codes.E43,),
    "a CV 5 carries, GBCS-signed, exactly the pre-command the CV 4 was answered with",
    _HARNESS,
)

# -- the DSP after its pipeline: routing and relays ------------------------------------------------

ROUTING = Check(
    "DSP routing",
    _DSP,
    20,
    (codes.E20,),
    "an accepted command goes to the SMETS2 device (ACB MAC envelope to its key-agreement "
    "certificate) or, countersigned, to the SMETS1 device's S1SP",
    _HARNESS,
)
DEVICE_RESPONSE = Check(
    "DSP device response",
    _DSP,
    21,
    (codes.E21,),
    "the device (or S1SP) answers a routed request within the response timeout; a device "
    "frame is relayed to the User whose command it answers",
    _DUIS,
)
DEVICE_FRAME = Check(
    "DSP device frame", _DSP, 22, (), "a frame from a SMETS2 device decodes as GBCS", _HARNESS
)
S1SP_MESSAGE = Check(
    "DSP S1SP message",
    _DSP,
    23,
    (),
    "a SMETS1 response or S1SP alert parses and is signed (standalone) with the signing "
    "certificate (role 127) of the S1SP of its device's cohort",
    _HARNESS,
)
S1SP_ALERT_RELAY = Check(
    "DSP S1SP alert relay",
    _DSP,
    24,
    (),
    "an S1SP alert goes, as DCC alert N43, to the requester it names or answers, or to its "
    "recipient",
    _HARNESS,
)
S1SP_RESPONSE_RELAY = Check(
    "DSP S1SP response relay",
    _DSP,
    25,
    (),
    "a SMETS1 response goes to the requester of the request it answers",
    _HARNESS,
)

# -- an S1SP: a countersigned request --------------------------------------------------------------

COUNTERSIGNATURE = Check(
    "S1SP countersignature",
    _S1SP,
    1,
    (codes.S1VE1,),
    "the DSP (role 137, the DCC's EUI) countersigned the request, and the service request it "
    "carries parses and is a 6.15.1 with its signed pre-command or a 6.21 with its handover body",
    _HARNESS,
)
S1SP_RDP = Check(
    "SRPD 16.1",
    _S1SP,
    2,
    (codes.S1VE4,),
    "the Business Originator is the registered user in its role for the device's MPAN/MPRN, "
    "save for SECMP0107's exemption while this S1SP's MP107 flag is on",
    _SEED,
)
OWNER = Check(
    "S1SR 4.2",
    _S1SP,
    3,
    (codes.S1VE64,),
    "the Business Originator ID is the Entity Identifier of the certificate in the Notified "
    "Critical slot of the sender's role",
    _SEED,
)
AUTHORISATION = Check(
    "S1SP authorising signature",
    _S1SP,
    4,
    (codes.S1VE2,),
    "the Authorising Remote Party Signature over the pre-command verifies with the Notified "
    "Critical certificate of the sender's role, and the command it signs decodes",
    _HARNESS,
)
EXECUTION_COUNTER = Check(
    "S1SP execution counter",
    _S1SP,
    5,
    (codes.S1VE3,),
    "the originator counter of the signed pre-command (the CV 4's RequestID counter) is above "
    "the Execution Counter of the sender's role on the device and above any of that role's "
    "instructions still awaiting the device; a 6.21's RequestID counter is above that of the "
    "last 6.21 its originator had carried out on the device",
    _HARNESS,
)
EXECUTION = Check(
    "S1SP execution",
    _S1SP,
    6,
    (codes.S1VE5,),
    "the device carries out the instruction; then the slots and floors change in one transaction",
    _HARNESS,
)

# -- an S1SP beside its pipeline -------------------------------------------------------------------

INSTRUCTION = Check(
    "S1SP instruction", _S1SP, 20, (), "an accepted request is sent to the device", _HARNESS
)
S1SP_DEVICE_FRAME = Check(
    "S1SP device frame",
    _S1SP,
    21,
    (),
    "a frame from a SMETS1 device decodes, its integrity tag verifies, its sequence is fresh "
    "and it answers an instruction awaiting the device",
    _HARNESS,
)
ALERT_ROUTING = Check(
    "S1SP alert routing",
    _S1SP,
    22,
    (),
    "a device alert goes to the owner of the certificate in the Network Operator slot",
    _HARNESS,
)

CHECKS: tuple[Check, ...] = (
    DUIS_XSD, DUIS_SIGNATURE, DUIS_REPLAY, WEB_SERVICE, SRV_SUPPORTED, ACCESS_MATRIX, DEVICE,
    CREDENTIALS_BODY, RDP, MP058, PRECOMMAND, ROUTING, DEVICE_RESPONSE, DEVICE_FRAME,
    S1SP_MESSAGE, S1SP_ALERT_RELAY, S1SP_RESPONSE_RELAY,
    COUNTERSIGNATURE, S1SP_RDP, OWNER, AUTHORISATION, EXECUTION_COUNTER, EXECUTION,
    INSTRUCTION, S1SP_DEVICE_FRAME, ALERT_ROUTING,
)  # fmt: skip
"""Every check, each once: the DSP's in pipeline order, then each S1SP's."""

_BY_NAME = {c.name: c for c in CHECKS}
_BY_CODE = {code.code: c for c in CHECKS for code in c.codes}

# -- the exemptions from the registration data checks ----------------------------------------------

SMETS2_CRITICAL = Exemption("SMETS2 critical SR", (RDP,), "no RDP check")
SRPD_6_2_C = Exemption("SRPD 6.2(c)", (RDP,), "user role Other User")
SRPD_6_2_D = Exemption(
    "SRPD 6.2(d)",
    (RDP, S1SP_RDP),
    "a SMETS1 6.15.1 from a Network Operator (ED or GT) for the NetworkOperator credentials, "
    "while MP107 is on (SECMP0107)",
)

MP107_SRV = "6.15.1"
"""The one SRV SRPD 6.2(d) concerns: Update Security Credentials (KRP)."""


def mp107_exempt(
    *,
    sender: UserRole,
    generation: Smets,
    target: RemotePartyRole | None,
    srv: str,
    switch: bool,
) -> bool:
    """SRPD 6.2(d) (SECMP0107 requirement 1): whether the registration data check is lifted.

    True only when the switch is on, the device is SMETS1, the SRV is 6.15.1, the sender acts
    as a Network Operator (ED or GT) and the credentials it replaces are the Network
    Operator's. The DSP asks with its single switch (SRPD 6.1(f)); each S1SP with its own flag
    (SRPD 16.1), so a partial rollout is one S1SP asked with ``switch=False``.

    Args:
        sender: The user role the request is sent in.
        generation: The device's generation.
        target: The remote party role whose credentials are replaced (None when unknown).
        srv: The Service Reference Variant.
        switch: The MP107 switch of the hop that asks.
    """
    return (
        switch
        and generation is Smets.SMETS1
        and srv == MP107_SRV
        and sender.is_network_operator
        and target is RemotePartyRole.NETWORK_OPERATOR
    )


# -- refusals and decisions ------------------------------------------------------------------------


class Refusal(HarnessError):  # noqa: N818 - a refusal is an outcome, answered as data
    """A request refused by a check, with one of the check's codes: an outcome every role turns
    into its answer (a DUIS response code, an S1SP alert), never a crash.

    Args:
        check: The check that refused.
        code: The code it answers with; one of ``check.codes``.
        detail: Why, in one line.

    Raises:
        ValueError: when ``code`` is not one the check answers with (a programming error).
    """

    def __init__(self, check: Check, code: Code, detail: str) -> None:
        if code not in check.codes:
            raise ValueError(f"{check.name} does not answer with {code.code}")
        super().__init__(f"{code.code} ({check.name}): {detail}", code=code.code)
        self.check, self.answer, self.detail = check, code, detail


@dataclass(frozen=True, slots=True)
class Decision:
    """One check's outcome for one request, as a role's decision log records it.

    Attributes:
        request_id: The DUIS RequestID (or another correlation for device frames).
        check: The check.
        outcome: What it made of the request.
        code: The code it answered with, for a refusal.
        detail: Why, in one line (for ``lifted``, the exemption).
    """

    request_id: str
    check: Check
    outcome: Outcome
    code: Code | None = None
    detail: str = ""


def named(name: str) -> Check:
    """The check called ``name`` (as a feature table writes it).

    Raises:
        InputError: for a name no check has.
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise InputError(f"no check is called {name!r} (known: {known})") from None


def answering(code: str | Code) -> Check:
    """The one check that answers with ``code``.

    Raises:
        InputError: for a code no check answers with.
    """
    try:
        return _BY_CODE[str(code)]
    except KeyError:
        raise InputError(f"no check answers with {str(code)!r}") from None


__all__ = [
    "CHECKS",
    "Check",
    "Decision",
    "Exemption",
    "Hop",
    "Outcome",
    "Refusal",
    "answering",
    "mp107_exempt",
    "named",
]
