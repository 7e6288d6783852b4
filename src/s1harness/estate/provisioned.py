"""Emulators built from a provisioning document (:mod:`s1harness.estate.provisioning`): how
``s1harness up`` takes on what its control channel hands it, reading only the documented
fields a Service Provider's own build reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from s1harness.estate.provisioning import Provisioning
from s1harness.registry.store import Registry
from s1harness.roles.dsp.service import Dsp
from s1harness.roles.dsp.settings import DspCredentials, DspSettings
from s1harness.roles.s1sp.replies import S1spSigner
from s1harness.roles.s1sp.service import S1sp
from s1harness.roles.s1sp.store import SlotKind, SlotStore
from s1harness.smki.keystore import Keystore, KeystoreEntry
from s1harness.smki.validation import TrustAnchor
from s1harness.spec.identifiers import DCC_EUI, Eui64

Clock = Callable[[], datetime]


def _registry(document: Provisioning) -> Registry:
    registry = Registry.open(":memory:")
    registry.add_parties(document.parties)
    registry.add_periods(document.registrations)
    registry.add_devices(document.devices)
    return registry


def build_s1sp(document: Provisioning, *, clock: Clock, store: Path | None = None) -> S1sp:
    """The S1SP a document describes, its slots and floors in a fresh store (``store``, a
    file replaced if it exists, or memory)."""
    if store is not None:
        store.unlink(missing_ok=True)
    slots = SlotStore.open(store or ":memory:")
    for (device, role, kind), certificate in document.slots.items():
        existing = {
            k: held.certificate
            for k in SlotKind
            if k is not kind and (held := slots.slot(device, role, k)) is not None
        }
        slots.replace(device, role, existing | {kind: certificate}, floor=None)
    for (device, role), value in document.floors.items():
        slots.set_floor(device, role, value)
    keys = dict(document.integrity_keys)
    assert document.dsp_eui is not None  # an S1SP document names the DSP
    return S1sp(
        str(document.cohort),
        store=slots,
        registry=_registry(document),
        keystore=Keystore([KeystoreEntry(c) for c in document.trusted]),
        signer=S1spSigner(document.identity.key, document.identity.certificate),
        device_key=lambda device: _integrity_key(keys, device),
        mp107=document.mp107,
        clock=clock,
        dsp_eui=document.dsp_eui,
    )


def _integrity_key(keys: Mapping[Eui64, bytes], device: Eui64) -> bytes:
    key = keys.get(Eui64(device))
    if key is None:  # a device the S1SP was not told of: no frame of it can verify
        return b"\x00" * 32
    return key


def build_dsp(document: Provisioning, *, clock: Clock) -> Dsp:
    """The DSP a document describes."""
    assert document.acb_ds is not None  # a DSP document has them
    assert document.acb_ka is not None
    credentials = DspCredentials(
        xml_key=document.identity.key,
        xml_certificate=document.identity.certificate,
        acb_ds_key=document.acb_ds.key,
        acb_ka_key=document.acb_ka.key,
        keystore=Keystore([KeystoreEntry(c) for c in document.trusted]),
        trust_anchors=tuple(TrustAnchor.from_certificate(c) for c in document.anchors),
        dcc_eui=document.identity.certificate.eui or DCC_EUI,
        s1sps=dict(document.s1sps),
    )
    settings = DspSettings(mp107=document.mp107, mp058=document.mp058)
    return Dsp(
        registry=_registry(document), credentials=credentials, settings=settings, clock=clock
    )


__all__ = ["build_dsp", "build_s1sp"]
