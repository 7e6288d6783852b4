"""The test PKI on disk: where ``s1harness smki issue`` keeps it between runs.

A PKI folder holds ``pki.json`` (format version, seed, CA names) and, for convenience, the four
CA certificates and keys as PEM. Because the PKI is a pure function of its seed, the seed is the
only thing that matters; the PEM files are re-derived and compared on every open, so a folder
whose files were changed by hand is refused rather than silently trusted.

The folder is, in order: ``--pki DIR``, ``$S1HARNESS_PKI``, or
``${XDG_DATA_HOME:-~/.local/share}/s1harness/pki``.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from s1harness.smki.errors import SmkiError
from s1harness.smki.pki import IssuedCertificate, TestPki

FORMAT_VERSION = 1
PKI_FILE = "pki.json"
_CA_FILES = ("org-root", "org-ca", "device-root", "device-ca")


def default_pki_dir() -> Path:
    """``$S1HARNESS_PKI``, else ``${XDG_DATA_HOME:-~/.local/share}/s1harness/pki``."""
    configured = os.environ.get("S1HARNESS_PKI")
    if configured:
        return Path(configured)
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "s1harness" / "pki"


def open_pki(folder: Path, *, seed: str | None = None) -> tuple[TestPki, bool]:
    """Open the PKI in ``folder``, creating it on first use.

    Args:
        folder: The PKI folder.
        seed: For a new PKI, its seed (random when omitted); for an existing one, it must match.

    Returns:
        The PKI and whether it was created now.

    Raises:
        SmkiError: when the folder holds a PKI file that is unreadable or inconsistent.
    """
    manifest = folder / PKI_FILE
    if manifest.exists():
        pki = _load(manifest)
        if seed is not None and pki.seed != seed.encode():
            raise SmkiError(f"{folder}: holds a PKI with another seed; choose another --pki folder")
        _check_files(folder, pki)
        return pki, False
    pki = TestPki(seed if seed is not None else secrets.token_hex(16))
    _create(folder, pki)
    return pki, True


def _load(manifest: Path) -> TestPki:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT_VERSION:
            raise SmkiError(f"{manifest}: unsupported PKI format {data.get('format')!r}")
        names = data["names"]
        return TestPki(
            data["seed"],
            org_root=names["org_root"],
            org_ca=names["org_ca"],
            device_root=names["device_root"],
            device_ca=names["device_ca"],
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SmkiError(f"{manifest}: not a readable PKI file ({exc})") from None


def _cas(pki: TestPki) -> dict[str, IssuedCertificate]:
    return dict(
        zip(_CA_FILES, (pki.org_root, pki.org_ca, pki.device_root, pki.device_ca), strict=True)
    )


def _create(folder: Path, pki: TestPki) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for stem, issued in _cas(pki).items():
            (folder / f"{stem}.pem").write_bytes(issued.certificate_pem())
            key_file = folder / f"{stem}.key"
            key_file.write_bytes(issued.private_key_pem())
            key_file.chmod(0o600)
        names = dict(
            zip(("org_root", "org_ca", "device_root", "device_ca"), pki.names, strict=True)
        )
        document = {"format": FORMAT_VERSION, "seed": pki.seed.decode(), "names": names}
        (folder / PKI_FILE).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise SmkiError(f"{folder}: cannot create the PKI folder ({exc.strerror})") from None


def _check_files(folder: Path, pki: TestPki) -> None:
    for stem, issued in _cas(pki).items():
        path = folder / f"{stem}.pem"
        if path.exists() and path.read_bytes() != issued.certificate_pem():
            raise SmkiError(f"{path}: differs from the certificate the PKI seed gives")


def write_issued(issued: IssuedCertificate, out_dir: Path, stem: str) -> tuple[Path, Path]:
    """Write ``<stem>.pem`` and ``<stem>.key`` (PKCS#8 PEM, mode 600) into ``out_dir``."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        cert_path, key_path = out_dir / f"{stem}.pem", out_dir / f"{stem}.key"
        cert_path.write_bytes(issued.certificate_pem())
        key_path.write_bytes(issued.private_key_pem())
        key_path.chmod(0o600)
    except OSError as exc:
        raise SmkiError(f"{out_dir}: cannot write the certificate ({exc.strerror})") from None
    return cert_path, key_path
