"""A keystore: certificates with their private keys, looked up the ways the harness needs.

Lookups mirror how the systems resolve credentials: by EUI, key usage and role (GBCS anchor
cells, SMKI repository searches), by serial (the DCC Boxed signing tool) and by issuer name and
serial (the DUIS XML-signature KeyInfo, ``X509IssuerSerial``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from s1harness.smki.certificate import CertificateKind, SmkiCertificate
from s1harness.smki.errors import KeystoreError
from s1harness.smki.files import scan
from s1harness.smki.keys import PrivateKey, public_point
from s1harness.smki.pki import IssuedCertificate
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole


@dataclass(frozen=True, slots=True)
class KeystoreEntry:
    """A certificate and, when known, its private key."""

    certificate: SmkiCertificate
    private_key: PrivateKey | None = None
    name: str | None = None

    @property
    def source(self) -> str | None:
        return self.certificate.source


Repository = Callable[[Eui64], Iterable[KeystoreEntry]]
"""Where a keystore looks for the certificates of an EUI it holds none of (the SMKI repository
of an estate too large to load): every certificate of that EUI, or none."""
REPOSITORY_KEPT = 1024
"""EUIs whose repository answer a keystore keeps (the most recently used)."""


class Keystore:
    """Certificates and keys from any number of sources; each certificate once (by DER).

    Args:
        entries: What it holds from the start.
        repository: Asked for an EUI it holds nothing of (by :meth:`find` and :meth:`get`);
            the answers for the :data:`REPOSITORY_KEPT` EUIs last asked for are kept, apart
            from the keystore's own entries (not iterated, not found by serial).
    """

    def __init__(
        self, entries: Iterable[KeystoreEntry] = (), *, repository: Repository | None = None
    ) -> None:
        self.repository = repository
        self._entries: dict[bytes, KeystoreEntry] = {}
        self._by_eui: dict[str | None, list[bytes]] = {}
        self._by_serial: dict[int, list[bytes]] = {}
        self._by_issuer_serial: dict[tuple[str, int], bytes] = {}
        """(compact issuer, serial) → the first certificate added with them: what
        :meth:`by_issuer_serial` would find scanning :meth:`by_serial` in order."""
        for entry in entries:
            self.add(entry)

    @property
    def repository(self) -> Repository | None:
        return self._repository

    @repository.setter
    def repository(self, repository: Repository | None) -> None:
        self._repository = repository
        self._fetch: Callable[[Eui64], tuple[KeystoreEntry, ...]] | None = (
            None
            if repository is None
            else functools.lru_cache(maxsize=REPOSITORY_KEPT)(lambda eui: tuple(repository(eui)))
        )

    @classmethod
    def load(cls, *paths: str | Path) -> Keystore:
        """Load certificates and keys from files, folders and keystore JSON.

        Keys are attached to every certificate with the same public key (the 2025 re-issued
        ZAZ1 certificates share keys with the 2016 ones).

        Raises:
            InputError: the first unreadable source (a missing path, a bad certificate).
        """
        found = scan(*paths)
        if found.errors:
            raise found.errors[0]
        keys = {public_point(key): key for key, _ in found.keys}
        store = cls()
        for cert in found.certificates:
            key = keys.get(cert.public_point)
            store.add(KeystoreEntry(cert, key, found.names.get(cert)))
        return store

    @classmethod
    def from_issued(cls, issued: Iterable[IssuedCertificate]) -> Keystore:
        """A keystore of certificates issued by the project's test PKI."""
        return cls(KeystoreEntry(i.certificate, i.private_key) for i in issued)

    def add(self, entry: KeystoreEntry) -> None:
        """Add an entry; a certificate already present keeps its first source and gains a key."""
        der = entry.certificate.der
        known = self._entries.get(der)
        if known is None:
            self._entries[der] = entry
            self._by_eui.setdefault(entry.certificate.eui, []).append(der)
            self._by_serial.setdefault(entry.certificate.serial, []).append(der)
            issuer = _compact(entry.certificate.issuer.rfc4514())
            self._by_issuer_serial.setdefault((issuer, entry.certificate.serial), der)
        elif known.private_key is None and entry.private_key is not None:
            self._entries[entry.certificate.der] = replace(known, private_key=entry.private_key)

    def __iter__(self) -> Iterator[KeystoreEntry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def find(
        self,
        *,
        eui: Eui64 | str | None = None,
        key_usage: KeyUsage | None = None,
        role: RemotePartyRole | None = None,
        kind: CertificateKind | None = None,
    ) -> list[KeystoreEntry]:
        """Every entry matching all the given criteria, newest notBefore first."""
        if eui is not None:
            eui = Eui64(eui)
            held = self._by_eui.get(eui)
            if held is not None or self._fetch is None:
                candidates = [self._entries[d] for d in held or []]
            else:
                candidates = list(self._fetch(eui))
        else:
            candidates = list(self._entries.values())
        hits = [
            e
            for e in candidates
            if (key_usage is None or key_usage in e.certificate.key_usages)
            and (role is None or e.certificate.role == role)
            and (kind is None or e.certificate.kind == kind)
        ]
        return sorted(hits, key=lambda e: e.certificate.not_before, reverse=True)

    def get(
        self,
        eui: Eui64 | str,
        key_usage: KeyUsage,
        role: RemotePartyRole | None = None,
    ) -> KeystoreEntry:
        """The newest entry for ``eui``/``key_usage``/``role``.

        Raises:
            KeystoreError: when there is none.
        """
        hits = self.find(eui=eui, key_usage=key_usage, role=role)
        if not hits:
            wanted = f"{Eui64(eui)} {key_usage.value}" + (f" {role.spec_name}" if role else "")
            raise KeystoreError(f"no certificate in the keystore for {wanted}")
        return hits[0]

    def by_serial(self, serial: int) -> list[KeystoreEntry]:
        """Every entry with this serial (serials are unique per issuer, not globally)."""
        return [self._entries[der] for der in self._by_serial.get(serial, [])]

    def by_issuer_serial(self, issuer: str, serial: int) -> KeystoreEntry | None:
        """The entry with this serial whose issuer's RFC 4514 string is ``issuer``.

        The comparison ignores spaces after commas, so ``CN=Z1, OU=07`` matches ``CN=Z1,OU=07``.
        """
        der = self._by_issuer_serial.get((_compact(issuer), serial))
        return None if der is None else self._entries[der]


def _compact(name: str) -> str:
    return ",".join(part.strip() for part in name.split(",")).upper()
