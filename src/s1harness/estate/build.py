"""An estate brought to life: every role object built, keyed and wired to its topics.

:func:`build` turns an :class:`~s1harness.estate.model.Estate` into a :class:`System` — the
registry, the DSP, one S1SP per cohort, SMETS1 and SMETS2 device emulators and a DCC User client
per party — with keys and certificates from its key source, so the same estate always has the
same keys. :meth:`System.routes` says which handler takes which
topic; a transport (the in-memory bus, MQTT) delivers. Nothing here does I/O beyond SQLite.

A device holds the certificates the estate says (``holds``), by default those of the parties
registered for its meter point: SMETS1 devices through their S1SP's virtual anchor slots,
SMETS2 devices in their own trust anchor cells. Keys come from the estate's key source
(:mod:`s1harness.estate.keys`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from s1harness.estate.keys import KeySource, PartyKeys
from s1harness.estate.model import DeviceSpec, Estate, remote_party_role
from s1harness.estate.sources import KEY_SOURCES
from s1harness.registry.model import Cohort, Device, Smets
from s1harness.registry.store import Registry
from s1harness.roles.dsp.service import Dsp
from s1harness.roles.dsp.settings import DspCredentials, DspSettings
from s1harness.roles.dsp.state import DspState
from s1harness.roles.s1sp.replies import S1spSigner
from s1harness.roles.s1sp.service import S1sp
from s1harness.roles.s1sp.store import SlotKind, SlotRole, SlotStore
from s1harness.roles.smets1.bank import Smets1Bank
from s1harness.roles.smets1.commissioning import Smets1Commissioning
from s1harness.roles.smets1.device import Smets1Device
from s1harness.roles.smets1.store import DeviceStore
from s1harness.roles.smets2.bank import Smets2Bank
from s1harness.roles.smets2.cells import DeviceType as CellLayout
from s1harness.roles.smets2.device import Smets2Device
from s1harness.roles.smets2.store import Smets2Store
from s1harness.roles.user import DccUser
from s1harness.smki import IssuedCertificate, Keystore, KeystoreEntry, PartyCredentials
from s1harness.spec.bus import (
    Envelope,
    Kind,
    device_inbox,
    dsp_from_devices,
    dsp_from_s1sp,
    dsp_requests,
    s1sp_from_devices,
    s1sp_requests,
    user_inbox,
)
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import RemotePartyRole

Clock = Callable[[], datetime]
Handler = Callable[[Envelope], list[Envelope]]


class MillisecondCounter:
    """RequestID counters like real Users keep: the clock in milliseconds, strictly increasing
    even when the clock stands still (one source for every User, so counters from different
    Users interleave the way wall-clock counters do)."""

    def __init__(self, clock: Clock) -> None:
        self._clock, self._last = clock, 0

    def __iter__(self) -> Iterator[int]:
        return self

    def __next__(self) -> int:
        self._last = max(self._last + 1, int(self._clock().timestamp() * 1000))
        return self._last

    def at_least(self, counter: int) -> None:
        """Make the next counter at least ``counter`` (above every counter a run before this
        one used: a DSP and an S1SP remember them)."""
        self._last = max(self._last, counter - 1)


@dataclass
class System:
    """Every role of one estate, built and keyed (see the module docstring)."""

    estate: Estate
    clock: Clock
    keys: KeySource
    registry: Registry
    dsp: Dsp
    acb: PartyCredentials
    parties: dict[Eui64, PartyKeys]
    users: dict[Eui64, DccUser]
    s1sps: dict[Cohort, S1sp] = field(default_factory=dict)
    smets1: dict[Eui64, Smets1Device] = field(default_factory=dict)
    smets2: Smets2Bank = field(default_factory=Smets2Bank)
    """The SMETS2 devices: the estate document's, and the inventory's others once asked for."""
    cohorts: dict[Eui64, Cohort] = field(default_factory=dict)
    device_store: DeviceStore | None = None
    """Where the SMETS1 devices' state is kept between runs (with a data folder)."""
    dsp_state: DspState | None = None
    """Where the DSP's own state is kept between runs (with a data folder)."""
    bank: Smets1Bank | None = None
    """The inventory's other SMETS1 devices, emulated on demand."""
    counters: MillisecondCounter | None = None
    """Where every User's RequestID counters come from."""

    def roles(self) -> dict[str, list[tuple[str, Handler]]]:
        """Topic filter → handler, per role: ``dsp``, ``s1sp:IOC`` (one per S1SP),
        ``devices`` and ``users`` — what a transport subscribes for each."""
        out: dict[str, list[tuple[str, Handler]]] = {
            "dsp": [
                (dsp_requests(), self.dsp.handle),
                (dsp_from_s1sp(), self.dsp.handle),
                (dsp_from_devices(), self.dsp.handle),
            ]
        }
        for cohort, s1sp in self.s1sps.items():
            out[f"s1sp:{cohort}"] = [
                (s1sp_requests(cohort), s1sp.handle),
                (s1sp_from_devices(cohort), s1sp.handle),
            ]
        out["devices"] = [(device_inbox("+"), self.on_device_frame)]
        out["users"] = [(user_inbox(u), user.receive) for u, user in self.users.items()]
        return out

    def routes(self, *, exclude: Iterable[str] = ()) -> list[tuple[str, Handler]]:
        """Every role's routes but the ``exclude``d roles' (see :meth:`roles`)."""
        skipped = set(exclude)
        return [route for role, routes in self.roles().items() if role not in skipped
                for route in routes]  # fmt: skip

    def smets1_frames(
        self, device_id: Eui64, frames: list[bytes], correlation: str
    ) -> list[Envelope]:
        """SMETS1 device frames as envelopes to the device's S1SP. Every frame a device sends
        passes here (answers, outage alerts), so its state is saved here, before they go."""
        self.keep(device_id)
        cohort = self.cohorts.get(device_id) or self._cohort(device_id)
        return [
            Envelope(
                s1sp_from_devices(cohort), Kind.SMETS1_DEVICE_FRAME, frame, correlation,
                (("device", str(device_id)),),
            )
            for frame in frames
        ]  # fmt: skip

    def smets2_frames(
        self, device_id: Eui64, frames: list[bytes], correlation: str
    ) -> list[Envelope]:
        """SMETS2 device frames as envelopes to the DSP (through the emulated CSP). Every frame
        a device sends passes here, so its state is saved here, before they go."""
        if frames:
            self.smets2.keep(device_id)
        return [
            Envelope(
                dsp_from_devices(), Kind.GBCS_DEVICE_FRAME, frame, correlation,
                (("device", str(device_id)),),
            )
            for frame in frames
        ]  # fmt: skip

    def smets1_device(self, device_id: Eui64) -> Smets1Device | None:
        """The emulator of a SMETS1 device of the estate: one of the estate document's, or one
        of the inventory's others built on demand by the bank (None: no such device)."""
        emulator = self.smets1.get(device_id)
        if emulator is None and self.bank is not None:
            emulator = self.bank.device(device_id)
        return emulator

    def on_device_frame(self, envelope: Envelope) -> list[Envelope]:
        """The devices role: a frame to any device of the estate (``devices/+/inbox``) — an
        instruction from its S1SP or a GBCS command from the DSP. A frame for a device the
        estate does not hold is dropped."""
        _, _, rest = envelope.topic.partition("/")
        try:
            device_id = Eui64(rest.partition("/")[0])
        except InputError:
            return []
        smets1 = self.smets1.get(device_id)
        if smets1 is None and self.bank is not None:
            smets1 = self.bank.resident(device_id)
        if smets1 is None:  # not built: the inventory says which it is
            smets2 = self.smets2.get(device_id)
            if smets2 is not None:
                frames = smets2.receive(envelope.payload)
                return self.smets2_frames(device_id, frames, envelope.correlation_id)
            smets1 = self.smets1_device(device_id)
        if smets1 is None:
            return []
        return self.smets1_frames(
            device_id, smets1.receive(envelope.payload), envelope.correlation_id
        )

    def reload_devices(self) -> None:
        """Take every device's state from the store again (a transaction that saved states
        rolled back: what the emulators hold in memory is ahead of it)."""
        if self.device_store is None or self.bank is None:
            return
        for device_id in list(self.smets1):
            row = self.registry.device(device_id)
            kept = self.device_store.load(device_id)
            if row is not None and row.cohort is not None:
                self.smets1[device_id] = self.bank.emulator(
                    device_id, row.device_type, row.cohort, kept
                )
        self.bank.forget()
        self.smets2.forget()

    def _cohort(self, device_id: Eui64) -> Cohort:
        row = self.registry.device(device_id)
        if row is None or row.cohort is None:
            raise InputError(f"{device_id} is not a SMETS1 device of the estate")
        return row.cohort

    def keep(self, device_id: Eui64) -> None:
        """Save a SMETS1 device's state (to the data folder's store, or the bank's memory)."""
        emulator = self.smets1.get(device_id)
        if emulator is not None:
            if self.device_store is not None:
                self.device_store.save(device_id, emulator.state)
            return
        emulator = self.smets1_device(device_id)
        if emulator is not None and self.bank is not None:
            self.bank.keep(device_id, emulator)

    def close(self) -> None:
        """Close the databases."""
        self.registry.close()
        for s1sp in self.s1sps.values():
            s1sp.store.close()
        if self.device_store is not None:
            self.device_store.close()
        if self.dsp_state is not None:
            self.dsp_state.close()


def build(estate: Estate, *, clock: Clock, data_dir: Path | None = None) -> System:
    """Build every role of ``estate``.

    Args:
        clock: The time every role reads.
        data_dir: Where the registry, DSP, S1SP and SMETS1 device databases live
            (``registry.sqlite``, ``dsp.sqlite``, ``s1sp-IOC.sqlite``…, ``devices.sqlite``);
            they are filled from the estate only when new. None keeps them in memory.
    """
    keys = KEY_SOURCES[estate.keys](estate.seed)
    registry = Registry.open(data_dir / "registry.sqlite" if data_dir else ":memory:")
    if not estate.parties or registry.party(estate.parties[0].user_id) is None:  # a new one
        registry.add_parties(estate.parties)
        registry.add_periods(estate.registrations)
        registry.add_devices(spec.device for spec in estate.devices)
    parties = {p.user_id: keys.party(p.user_id, remote_party_role(p)) for p in estate.parties}
    acb = keys.acb(estate.dcc_id)
    counters = MillisecondCounter(clock)
    dsp_xml = keys.dsp_xml(estate.dcc_id)
    dsp_trust = (Keystore([KeystoreEntry(dsp_xml.certificate)]), estate.dcc_id)
    users = {
        eui: DccUser(
            eui, xml_key=party.xml.private_key, xml_certificate=party.xml.certificate,
            ds_key=party.credentials.ds.private_key, counters=counters, dsp=dsp_trust,
        )
        for eui, party in parties.items()
    }  # fmt: skip
    keystore = Keystore.from_issued([k.xml for k in parties.values()])
    dsp = Dsp(
        registry=registry,
        credentials=DspCredentials(
            xml_key=dsp_xml.private_key, xml_certificate=dsp_xml.certificate,
            acb_ds_key=acb.ds.private_key, acb_ka_key=acb.ka.private_key,
            keystore=keystore, trust_anchors=keys.trust_anchors(), dcc_eui=estate.dcc_id,
            s1sps={str(s.cohort): s.identity for s in estate.s1sps},
        ),
        settings=DspSettings(mp107=estate.dsp.mp107, mp058=estate.dsp.mp058),
        clock=clock,
    )  # fmt: skip
    system = System(estate, clock, keys, registry, dsp, acb, parties, users, counters=counters)
    if data_dir is not None:  # the DSP keeps its state there once a journal flushes it
        system.dsp_state = DspState.open(str(data_dir / "dsp.sqlite"))
    _s1sps(system, dsp_xml, keystore, data_dir)
    _devices(system, keystore)
    return system


def _s1sps(
    system: System, dsp_xml: IssuedCertificate, dsp_keystore: Keystore, data_dir: Path | None
) -> None:
    estate = system.estate
    device_keys = Smets1Commissioning(hashlib.sha256(estate.seed.encode()).digest())
    for s1sp in estate.s1sps:
        signer = system.keys.s1sp_signer(s1sp.identity)
        dsp_keystore.add(KeystoreEntry(signer.certificate))
        path = data_dir / f"s1sp-{s1sp.cohort}.sqlite" if data_dir else ":memory:"
        system.s1sps[s1sp.cohort] = S1sp(
            str(s1sp.cohort),
            store=SlotStore.open(path),
            registry=system.registry,
            keystore=Keystore([KeystoreEntry(dsp_xml.certificate)]),
            signer=S1spSigner(signer.private_key, signer.certificate),
            device_key=device_keys.device_key,
            mp107=s1sp.mp107,
            clock=system.clock,
            dsp_eui=estate.dcc_id,
        )
    if data_dir is not None:
        system.device_store = DeviceStore.open(data_dir / "devices.sqlite")
    system.bank = Smets1Bank(device_keys, system.registry, system.clock, system.device_store)
    assert system.bank is not None
    for spec in estate.devices:
        device = spec.device
        if device.generation is not Smets.SMETS1 or device.cohort is None:
            continue
        system.cohorts[device.device_id] = device.cohort
        kept = None if system.device_store is None else system.device_store.load(device.device_id)
        system.smets1[device.device_id] = system.bank.emulator(
            device.device_id, device.device_type, device.cohort, kept
        )
        _fill_slots(system, spec)


def _fill_slots(system: System, spec: DeviceSpec) -> None:
    """Put the held parties' certificates in the device's virtual anchor slots (if empty)."""
    store = system.s1sps[spec.device.cohort].store  # type: ignore[index]  # SMETS1: has a cohort
    for slot_role, role in (
        (SlotRole.SUPPLIER, RemotePartyRole.SUPPLIER),
        (SlotRole.NETWORK_OPERATOR, RemotePartyRole.NETWORK_OPERATOR),
    ):
        holder = system.estate.holder(spec, role)
        if holder is None or store.slot(spec.device_id, slot_role, SlotKind.CRITICAL) is not None:
            continue
        credentials = system.parties[holder].credentials
        store.replace(
            spec.device_id, slot_role,
            {SlotKind.CRITICAL: credentials.ds.certificate,
             SlotKind.NON_CRITICAL: credentials.ka.certificate},
            floor=None,
        )  # fmt: skip


def _devices(system: System, dsp_keystore: Keystore) -> None:
    """The SMETS2 device bank: the estate document's devices built now (and their KA
    certificates given to the DSP), the inventory's others when first asked for (the DSP then
    finds their KA certificates when it first needs them); and every device whose kept state
    holds a future-dated command."""
    store = None if system.device_store is None else Smets2Store(system.device_store.connection)
    system.smets2 = Smets2Bank(_smets2_maker(system), store)
    for spec in system.estate.devices:
        if spec.device.generation is Smets.SMETS2:
            emulator = system.smets2[spec.device_id]
            dsp_keystore.add(KeystoreEntry(emulator.ka_certificate))
    dsp_keystore.repository = _device_certificates(system)
    system.smets2.wake()


def _smets2_maker(system: System) -> Callable[[Eui64], Smets2Device | None]:
    """Builds a SMETS2 device as commissioned: one of the estate document's for the parties the
    document gives it, one of the inventory's others for the Supplier and Network Operator
    registered for its meter point at the estate's start (ACB placeholders where none is)."""
    estate = system.estate
    specs = {s.device_id: s for s in estate.devices if s.device.generation is Smets.SMETS2}

    def make(device_id: Eui64) -> Smets2Device | None:
        spec = specs.get(device_id)
        if spec is not None:
            supplier = estate.holder(spec, RemotePartyRole.SUPPLIER)
            operator = estate.holder(spec, RemotePartyRole.NETWORK_OPERATOR)
            return _smets2(system, spec.device, supplier, operator)
        device = _inventory_smets2(system, device_id)
        if device is None:
            return None
        point = device.mpan or device.mprn
        period = system.registry.registered(point, estate.start) if point else None
        if period is None:
            return _smets2(system, device, None, None)
        return _smets2(system, device, period.supplier, period.network_operator)

    return make


def _smets2(
    system: System, device: Device, supplier: Eui64 | None, operator: Eui64 | None
) -> Smets2Device:
    """A SMETS2 device commissioned with these parties' certificates in its cells."""
    return system.keys.smets2_device(
        device.device_id,
        CellLayout(str(device.device_type)),
        supplier=system.parties[supplier].credentials if supplier else None,
        network_operator=system.parties[operator].credentials if operator else None,
        acb=system.acb,
        clock=system.clock,
    )


def _inventory_smets2(system: System, device_id: Eui64) -> Device | None:
    """The inventory's SMETS2 device of that ID, of a type with trust anchor cells."""
    row = system.registry.device(device_id)
    if row is None or row.generation is not Smets.SMETS2:
        return None
    return row if str(row.device_type) in set(CellLayout) else None


def _device_certificates(system: System) -> Callable[[Eui64], list[KeystoreEntry]]:
    """The DSP's SMKI repository look-up for a device: an inventory SMETS2 device's KA."""

    def found(eui: Eui64) -> list[KeystoreEntry]:
        if _inventory_smets2(system, eui) is None:
            return []
        return [KeystoreEntry(system.keys.device_credentials(eui).ka.certificate)]

    return found


__all__ = ["MillisecondCounter", "PartyKeys", "System", "build"]
