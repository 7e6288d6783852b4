"""Reading certificates and keys from files, folders and DCC Boxed keystore JSON.

:func:`scan` accepts any mix of paths:

* a PEM file with one or more ``CERTIFICATE`` blocks, or a DER certificate;
* a PEM or DER private key (PKCS#8 or SEC 1), attached to every certificate with its public key;
* a folder, walked recursively in name order (files that hold neither certificates nor keys are
  skipped and listed, never read as errors);
* a keystore JSON keyed ``eui → digitalSignature|keyAgreement → decimal serial →
  {certificate, privateKey, role, name}`` (the DCC Boxed keystore), whose keys are cross-checked
  against the certificates they hold.

Certificates that look like certificates but do not parse (a PEM block with bad content, a
truncated ``.der``, an unknown role code) are errors, reported with their source; scanning goes
on so one bad file does not hide the rest.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from s1harness.smki.certificate import SmkiCertificate, parse_certificate
from s1harness.smki.errors import CertificateParseError, KeystoreError
from s1harness.smki.keys import PrivateKey, load_private_key
from s1harness.spec.errors import HarnessError, InputError

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_CERT_SUFFIXES = {".der", ".cer", ".crt"}
MAX_FILE_SIZE = 16 * 1024 * 1024
"""Larger files are refused: no SMKI certificate or keystore comes close."""


@dataclass
class ScanResult:
    """What :func:`scan` found.

    Attributes:
        certificates: Every certificate, labelled with its source, in the order found.
        keys: Private keys with their sources.
        names: Keystore entry names by certificate (JSON keystores only).
        errors: One error per unreadable certificate source.
        skipped: Files in folders that held no certificate or key.
    """

    certificates: list[SmkiCertificate] = field(default_factory=list)
    keys: list[tuple[PrivateKey, str]] = field(default_factory=list)
    names: dict[SmkiCertificate, str] = field(default_factory=dict)
    errors: list[HarnessError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def scan(*paths: str | Path) -> ScanResult:
    """Read every certificate and key under ``paths``.

    Raises:
        InputError: when a path does not exist.
    """
    result = ScanResult()
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                _scan_file(child, result, in_folder=True)
        else:
            _scan_file(path, result, in_folder=False)
    return result


def read_certificates(path: str | Path) -> list[SmkiCertificate]:
    """The certificates in one file or folder.

    Raises:
        InputError: when the path is missing, holds no certificate, or one does not parse.
    """
    result = scan(path)
    if result.errors:
        raise result.errors[0]
    if not result.certificates:
        raise CertificateParseError(f"{path}: no certificate found")
    return result.certificates


def _scan_file(path: Path, result: ScanResult, *, in_folder: bool) -> None:
    try:
        data = _read(path)
        if path.suffix.lower() == ".json":
            _scan_keystore_json(path, data, result)
        elif b"-----BEGIN" in data:
            _scan_pem(path, data, result, in_folder=in_folder)
        else:
            _scan_der(path, data, result, in_folder=in_folder)
    except HarnessError as exc:
        result.errors.append(exc)


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_SIZE:
            raise InputError(f"{path}: larger than {MAX_FILE_SIZE} bytes, not a certificate file")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def _scan_pem(path: Path, data: bytes, result: ScanResult, *, in_folder: bool) -> None:
    found = False
    for index, match in enumerate(_PEM_BLOCK.finditer(data)):
        label, body = match.group(1), match.group(2)
        source = str(path) if index == 0 else f"{path}#{index}"
        if label == b"CERTIFICATE":
            der = _base64(body, source)
            result.certificates.append(_parse(der, source))
            found = True
        elif label.endswith(b"PRIVATE KEY"):
            result.keys.append((load_private_key(match.group(0), source=source), source))
            found = True
    if not found:
        _not_a_certificate(path, result, in_folder=in_folder)


def _scan_der(path: Path, data: bytes, result: ScanResult, *, in_folder: bool) -> None:
    if not data.startswith(b"\x30"):
        # Neither PEM nor DER (every DER certificate and key is a SEQUENCE).
        _not_a_certificate(path, result, in_folder=in_folder)
        return
    try:
        result.certificates.append(parse_certificate(data, source=str(path)))
        return
    except CertificateParseError as exc:
        if not in_folder or path.suffix.lower() in _CERT_SUFFIXES:
            if not _try_key(path, data, result):
                raise CertificateParseError(f"{path}: {exc.message}") from None
            return
    if not _try_key(path, data, result):
        result.skipped.append(str(path))


def _try_key(path: Path, data: bytes, result: ScanResult) -> bool:
    try:
        result.keys.append((load_private_key(data, source=str(path)), str(path)))
    except KeystoreError:
        return False
    return True


def _not_a_certificate(path: Path, result: ScanResult, *, in_folder: bool) -> None:
    if in_folder:
        result.skipped.append(str(path))
    else:
        raise CertificateParseError(f"{path}: not a certificate (neither PEM nor DER)")


def _parse(der: bytes, source: str) -> SmkiCertificate:
    try:
        return parse_certificate(der, source=source)
    except CertificateParseError as exc:
        raise CertificateParseError(f"{source}: {exc.message}") from None


def _base64(body: bytes, source: str) -> bytes:
    try:
        return base64.b64decode(b"".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        raise CertificateParseError(f"{source}: PEM block is not valid base64") from None


def _scan_keystore_json(path: Path, data: bytes, result: ScanResult) -> None:
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise KeystoreError(f"{path}: not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise KeystoreError(f"{path}: a keystore is a JSON object keyed by EUI")
    for eui, usages in document.items():
        for usage, serials in _object(usages, f"{path}#{eui}").items():
            for serial, entry in _object(serials, f"{path}#{eui}/{usage}").items():
                source = f"{path}#{eui}/{usage}/{serial}"
                try:
                    _keystore_entry(
                        source, eui=eui, usage=usage, serial=serial, entry=entry, result=result
                    )
                except HarnessError as exc:
                    result.errors.append(exc)


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise KeystoreError(f"{where}: expected a JSON object")
    return value


_JSON_USAGES = {"digitalSignature", "keyAgreement"}


def _keystore_entry(
    source: str, *, eui: str, usage: str, serial: str, entry: Any, result: ScanResult
) -> None:
    entry = _object(entry, source)
    pem = entry.get("certificate")
    if not isinstance(pem, str) or "CERTIFICATE" not in pem:
        raise KeystoreError(f"{source}: entry has no PEM certificate")
    blocks = list(_PEM_BLOCK.finditer(pem.encode()))
    if not blocks:
        raise KeystoreError(f"{source}: certificate is not PEM")
    cert = _parse(_base64(blocks[0].group(2), source), source)
    _cross_check(source, cert, eui=eui, usage=usage, serial=serial, role=entry.get("role"))
    result.certificates.append(cert)
    if isinstance(entry.get("name"), str):
        result.names[cert] = entry["name"]
    key = entry.get("privateKey")
    if isinstance(key, str) and key.strip():
        result.keys.append((load_private_key(key.encode(), source=source), source))


def _cross_check(
    source: str, cert: SmkiCertificate, *, eui: str, usage: str, serial: str, role: Any
) -> None:
    if usage not in _JSON_USAGES:
        raise KeystoreError(f"{source}: usage key must be digitalSignature or keyAgreement")
    problems = []
    if cert.eui is None or cert.eui != eui.upper():
        problems.append(f"certificate EUI {cert.eui} differs from the key {eui}")
    if cert.key_usage is None or cert.key_usage.value != usage:
        problems.append(f"certificate usage {cert.key_usage} differs from {usage}")
    if not serial.isdigit() or int(serial) != cert.serial:
        problems.append(f"certificate serial {cert.serial} differs from {serial}")
    if role is not None and (cert.role is None or int(role) != cert.role.value):
        problems.append(f"certificate role {cert.role} differs from {role}")
    if problems:
        raise KeystoreError(f"{source}: " + "; ".join(problems))
