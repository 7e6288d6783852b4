"""The published NO certificate register (Engineering Recommendation M31): for each Electricity
Distributor (by distributor ID) and Gas Transporter (by network), its Network Operator Digital
Signing and Key Agreement certificates — what the FIA calls "the NOs' published certificates"
and the data update places on a device (SECMP0107 Requirement 2).

Files are JSON or CSV, certificates as base64 DER:

.. code-block:: json

    {"register": 1, "entries": [
      {"distributor_id": 10, "network_operator": "90B3D51F30020010", "ds": "MIIB…", "ka": "MIIB…"},
      {"gas_transporter": "North West", "ds": "MIIB…", "ka": "MIIB…"}]}

A CSV has the header ``distributor_id,gas_transporter,network_operator,ds,ka`` (one of the first
two per row; ``network_operator`` optional, checked against the certificates when given).
Every entry is checked on loading: both certificates parse, name the same Entity Identifier
with the Network Operator role, and the DS certificate signs while the KA one agrees keys.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from s1harness.registry.model import Party
from s1harness.smki.certificate import SmkiCertificate, parse_certificate
from s1harness.smki.errors import SmkiError
from s1harness.smki.pki import PartyCredentials
from s1harness.smki.validation import TrustAnchor, validate_path
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole


class _Holder(Protocol):
    @property
    def credentials(self) -> PartyCredentials: ...


class _Estate(Protocol):
    @property
    def parties(self) -> Sequence[Party]: ...


class BuiltEstate(Protocol):
    """What :meth:`NoRegister.of_system` reads of a built estate (``estate.build.System``,
    which sits beside this package and so is not imported)."""

    @property
    def estate(self) -> _Estate: ...

    @property
    def parties(self) -> Mapping[Eui64, _Holder]: ...


FORMAT = 1
CSV_FIELDS = ("distributor_id", "gas_transporter", "network_operator", "ds", "ka")


@dataclass(frozen=True, slots=True)
class PublishedCertificates:
    """One NO's published DS and KA certificates, under its distributor ID or gas network."""

    ds: SmkiCertificate
    ka: SmkiCertificate
    distributor_id: int | None = None
    gas_transporter: str | None = None

    @property
    def network_operator(self) -> Eui64:
        assert self.ds.eui is not None  # checked by check()
        return self.ds.eui

    def check(self, where: str) -> None:
        """Raises InputError unless the pair is one NO's DS and KA certificates."""
        if (self.distributor_id is None) == (self.gas_transporter is None):
            raise InputError(f"{where}: give a distributor_id or a gas_transporter, not both")
        for name, cert, usage in (("ds", self.ds, KeyUsage.DIGITAL_SIGNATURE),
                                  ("ka", self.ka, KeyUsage.KEY_AGREEMENT)):  # fmt: skip
            if cert.role is not RemotePartyRole.NETWORK_OPERATOR or cert.eui is None:
                raise InputError(f"{where}: the {name} certificate is not a Network Operator's")
            if cert.key_usage is not usage:
                raise InputError(f"{where}: the {name} certificate's key usage is not {usage}")
        if self.ds.eui != self.ka.eui:
            raise InputError(f"{where}: the ds and ka certificates name different parties")

    def as_dict(self) -> dict[str, Any]:
        key: dict[str, Any] = (
            {"distributor_id": self.distributor_id}
            if self.distributor_id is not None
            else {"gas_transporter": self.gas_transporter}
        )
        return key | {
            "network_operator": str(self.network_operator),
            "ds": base64.b64encode(self.ds.der).decode(),
            "ka": base64.b64encode(self.ka.der).decode(),
        }


class NoRegister:
    """Published NO certificates by distributor ID and by gas network."""

    def __init__(self, entries: Iterable[PublishedCertificates] = ()) -> None:
        self._by_distributor: dict[int, PublishedCertificates] = {}
        self._by_network: dict[str, PublishedCertificates] = {}
        for index, entry in enumerate(entries):
            self.add(entry, f"entry {index + 1}")

    def add(self, entry: PublishedCertificates, where: str = "entry") -> None:
        """Add an entry (checked; a second entry for the same key is an error)."""
        entry.check(where)
        if entry.distributor_id is not None:
            table: dict[Any, PublishedCertificates] = self._by_distributor
            key: int | str = entry.distributor_id
        else:
            table, key = self._by_network, str(entry.gas_transporter)
        if key in table:
            raise InputError(f"{where}: {key!r} is published twice")
        table[key] = entry

    def __len__(self) -> int:
        return len(self._by_distributor) + len(self._by_network)

    @property
    def entries(self) -> list[PublishedCertificates]:
        return [*self._by_distributor.values(), *self._by_network.values()]

    def validate(
        self,
        anchors: Sequence[TrustAnchor | SmkiCertificate],
        intermediates: Sequence[SmkiCertificate],
        at: datetime,
    ) -> None:
        """Check every published certificate before any is placed on a device: in date at
        ``at``, and chaining (through ``intermediates``) to one of ``anchors``.

        Raises:
            InputError: naming the entry, the certificate and why, for the first that fails.
        """
        for entry in self.entries:
            where = entry.as_dict().get("distributor_id", entry.gas_transporter)
            for name, cert in (("ds", entry.ds), ("ka", entry.ka)):
                result = validate_path(
                    cert, anchors=anchors, intermediates=intermediates, at=at, time_checks=True
                )
                if not result.valid:
                    raise InputError(
                        f"NO register entry {where!r} ({entry.network_operator}): the {name} "
                        f"certificate {cert.serial_hex} cannot be placed: {result.reason}"
                    )

    def for_party(self, party: Party) -> PublishedCertificates | None:
        """What ``party`` publishes, by its distributor ID or gas network (None if nothing)."""
        if party.distributor_id is not None and party.distributor_id in self._by_distributor:
            return self._by_distributor[party.distributor_id]
        if party.gas_transporter is not None:
            return self._by_network.get(party.gas_transporter)
        return None

    @classmethod
    def of_parties(
        cls, parties: Iterable[Party], credentials: Mapping[Eui64, PartyCredentials]
    ) -> NoRegister:
        """The register an estate's NOs publish: each ED under its distributor ID and each GT
        under its network, with its DS and KA certificates from ``credentials``."""
        register = cls()
        for party in parties:
            held = credentials.get(party.user_id)
            if held is None:
                continue
            pair = (held.ds.certificate, held.ka.certificate)
            if party.distributor_id is not None:
                register.add(PublishedCertificates(*pair, distributor_id=party.distributor_id))
            if party.gas_transporter is not None:
                register.add(PublishedCertificates(*pair, gas_transporter=party.gas_transporter))
        return register

    @classmethod
    def of_system(cls, system: BuiltEstate) -> NoRegister:
        """The register a built estate's NOs publish (:meth:`of_parties` with its parties' keys)."""
        credentials = {eui: keys.credentials for eui, keys in system.parties.items()}
        return cls.of_parties(system.estate.parties, credentials)

    # -- files ---------------------------------------------------------------------------------

    def dumps(self) -> str:
        """The register as JSON."""
        entries = [entry.as_dict() for entry in self.entries]
        return json.dumps({"register": FORMAT, "entries": entries}, indent=1) + "\n"

    def dumps_csv(self) -> str:
        """The register as CSV."""
        out = io.StringIO()
        writer = csv.DictWriter(out, CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        for entry in self.entries:
            writer.writerow(entry.as_dict())
        return out.getvalue()

    @classmethod
    def loads(cls, text: str, source: str = "register") -> NoRegister:
        """Read a register from JSON text (what a control request carries).

        Raises:
            InputError: naming ``source`` and the entry for anything wrong.
        """
        register = cls()
        for index, row in enumerate(_json_rows(text, Path(source))):
            where = f"{source}: entry {index + 1}"
            register.add(_entry(row, where), where)
        return register

    @classmethod
    def load(cls, path: Path) -> NoRegister:
        """Read a register file: CSV if it ends in ``.csv``, else JSON.

        Raises:
            InputError: naming the file and the entry for anything wrong.
        """
        try:
            text = path.read_text(encoding="utf-8-sig")  # a byte order mark is no field
        except (OSError, UnicodeDecodeError) as exc:
            why = getattr(exc, "strerror", None) or str(exc)
            raise InputError(f"{path}: cannot read the NO register ({why})") from None
        rows = _csv_rows(text, path) if path.suffix.lower() == ".csv" else _json_rows(text, path)
        register = cls()
        for index, row in enumerate(rows):
            where = f"{path}: entry {index + 1}"
            register.add(_entry(row, where), where)
        return register


def _json_rows(text: str, path: Path) -> list[Mapping[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise InputError(f"{path}: nested too deeply to be an NO register") from None
    if not isinstance(data, dict) or data.get("register") != FORMAT:
        raise InputError(f'{path}: not an NO register (expected {{"register": {FORMAT}, …}})')
    entries = data.get("entries")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InputError(f"{path}: 'entries' must be a list of objects")
    return entries


def _csv_rows(text: str, path: Path) -> list[Mapping[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"ds", "ka"} - set(reader.fieldnames or ())
    if missing:
        raise InputError(f"{path}: the CSV header lacks {', '.join(sorted(missing))}")
    return [{k: v for k, v in row.items() if v not in (None, "")} for row in reader]


def _entry(row: Mapping[str, Any], where: str) -> PublishedCertificates:
    distributor = row.get("distributor_id")
    try:
        distributor_id = None if distributor is None else int(distributor)
    except (TypeError, ValueError):
        raise InputError(f"{where}: distributor_id {distributor!r} is not a number") from None
    network = row.get("gas_transporter")
    entry = PublishedCertificates(
        _certificate(row, "ds", where),
        _certificate(row, "ka", where),
        distributor_id,
        None if network is None else str(network),
    )
    named = row.get("network_operator")
    entry.check(where)
    if named is not None and Eui64(str(named)) != entry.network_operator:
        raise InputError(f"{where}: the certificates are {entry.network_operator}'s, not {named}'s")
    return entry


def _certificate(row: Mapping[str, Any], name: str, where: str) -> SmkiCertificate:
    value = row.get(name)
    if not isinstance(value, str):
        raise InputError(f"{where}: no {name} certificate")
    try:
        return parse_certificate(base64.b64decode(value, validate=True), source=f"{where} {name}")
    except (binascii.Error, ValueError):
        raise InputError(f"{where}: the {name} certificate is not base64") from None
    except SmkiError as exc:
        raise InputError(f"{where}: the {name} certificate: {exc.message}") from None


__all__ = ["CSV_FIELDS", "NoRegister", "PublishedCertificates"]
