"""SMETS1 devices and the protocol an S1SP instructs them in.

The real SMETS1 device protocols are proprietary, so the harness defines its own, documented
in full in ``docs/smets1-instruction-frame.md``. In brief:

* **One frame, three types.** An *instruction* (S1SP → device; the S1SR "Instruction")
  and a *response* or *alert* (device → S1SP) share one layout, all integers big-endian::

      magic "S1" (2) | version 01 (1) | frame type (1: 1 instruction, 2 response, 3 alert)
      | cohort (1: 1 IOC, 2 MOC, 3 FOC) | device ID (8, EUI-64) | sequence counter (8)
      | correlation (8: chosen by the S1SP, echoed in the response; 0 in alerts)
      | code (2: instruction code, echoed in the response; the GBCS alert code in an alert)
      | status (1: response status; 0 otherwise) | body length (2) | body (TLVs)
      | integrity tag (16)

  The body is a list of fields: tag (1), length (2), value. The integrity tag is HMAC-SHA256,
  truncated to 16 octets, over every octet before it, under a 32-octet key per device that the
  S1SP and the device share from commissioning (:class:`Smets1Commissioning`).
* **Counters.** Each direction numbers its frames with a strictly increasing sequence counter:
  the S1SP's instructions to a device, and the device's responses and alerts together.
* **Devices** (:class:`Smets1Esme`, :class:`Smets1Gpf`) are sans-IO: ``receive(bytes)`` returns
  the sealed frames to send back; ``power_outage`` / ``power_restored`` return sealed alerts
  (8F57 supply interrupted; 8F35 restored; 8F36 restored after 3 minutes or more). Alerts name
  no recipient: the S1SP routes them to the owner of the device's Network Operator slot.

Public API: the codec (:func:`encode`, :func:`decode`, :func:`seal`, :func:`verify`,
:func:`unseal`, frames :class:`Instruction`, :class:`DeviceResponse`, :class:`DeviceAlert`,
:class:`Tlv`), the code tables, the typed bodies, the devices and commissioning.
"""

from s1harness.roles.smets1.bodies import (
    CertificateId,
    CredentialsRecorded,
    CredentialUpdate,
    DeviceStatus,
    ImportReading,
    OutageAlert,
    SupplyReport,
    diagnostic,
)
from s1harness.roles.smets1.codes import (
    AlertCode,
    Cohort,
    DeviceType,
    FrameType,
    InstructionCode,
    ResponseStatus,
    SupplyState,
    TlvTag,
)
from s1harness.roles.smets1.commissioning import Smets1Commissioning
from s1harness.roles.smets1.device import (
    CredentialRecord,
    DeviceState,
    Rejection,
    RejectionReason,
    Smets1Device,
)
from s1harness.roles.smets1.errors import Smets1CodecError, Smets1IntegrityError
from s1harness.roles.smets1.esme import EsmeState, Smets1Esme
from s1harness.roles.smets1.frames import (
    DeviceAlert,
    DeviceResponse,
    Frame,
    Instruction,
    Tlv,
    decode,
    encode,
    seal,
    unseal,
    verify,
)
from s1harness.roles.smets1.gpf import Smets1Gpf

__all__ = [
    "AlertCode",
    "CertificateId",
    "Cohort",
    "CredentialRecord",
    "CredentialUpdate",
    "CredentialsRecorded",
    "DeviceAlert",
    "DeviceResponse",
    "DeviceState",
    "DeviceStatus",
    "DeviceType",
    "EsmeState",
    "Frame",
    "FrameType",
    "ImportReading",
    "Instruction",
    "InstructionCode",
    "OutageAlert",
    "Rejection",
    "RejectionReason",
    "ResponseStatus",
    "Smets1CodecError",
    "Smets1Commissioning",
    "Smets1Device",
    "Smets1Esme",
    "Smets1Gpf",
    "Smets1IntegrityError",
    "SupplyReport",
    "SupplyState",
    "Tlv",
    "TlvTag",
    "decode",
    "diagnostic",
    "encode",
    "seal",
    "unseal",
    "verify",
]
