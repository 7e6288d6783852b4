"""The SMETS1 GPF (Gas Proxy Function): the device protocol and nothing more.

It answers JOIN, PING and UPDATE_SECURITY_CREDENTIALS, and refuses the ESME instructions
(read import, disconnect, reconnect) with ``NOT_SUPPORTED_BY_DEVICE_TYPE``. It raises the same
outage alerts as the ESME: GBCS defines no GPF power alert (a SMETS2 comms hub's power loss
reaches Users as the DSP's ``PowerOutageEvent``), and the GPF lives in the comms hub that the
electricity supply powers, so its outage is that supply's interruption
(docs/smets1-instruction-frame.md §6).
"""

from __future__ import annotations

from typing import ClassVar

from s1harness.roles.smets1.codes import DeviceType
from s1harness.roles.smets1.device import Smets1Device


class Smets1Gpf(Smets1Device):
    """A SMETS1 gas proxy function (constructor as :class:`Smets1Device`)."""

    DEVICE_TYPE: ClassVar[DeviceType] = DeviceType.GPF
