"""``s1harness smki``: inspect, verify and issue SMKI certificates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from s1harness.cli._output import emit, iso, parse_time, warn
from s1harness.smki.certificate import CertificateKind, SmkiCertificate
from s1harness.smki.files import read_certificates, scan
from s1harness.smki.keys import public_point
from s1harness.smki.profile import describe_profile
from s1harness.smki.store import default_pki_dir, open_pki, write_issued
from s1harness.smki.validation import validate_path
from s1harness.spec.errors import InputError
from s1harness.spec.identifiers import Eui64
from s1harness.spec.roles import KeyUsage, RemotePartyRole

app = typer.Typer(help="SMKI certificates: inspect, verify, issue.", no_args_is_help=True)


def describe(
    cert: SmkiCertificate, *, name: str | None = None, has_key: bool | None = None
) -> dict[str, Any]:
    """The JSON description ``smki inspect`` prints for one certificate."""
    out: dict[str, Any] = {
        "eui": cert.eui,
        "role": cert.role.value if cert.role is not None else None,
        "role_name": cert.role_name,
        "key_usage": cert.key_usage.value if cert.key_usage else None,
        "kind": cert.kind.value,
        "issuer": cert.issuer.rfc4514(),
        "subject": cert.subject.rfc4514(),
        "serial": cert.serial_hex,
        "serial_decimal": str(cert.serial),
        "not_before": iso(cert.not_before),
        "not_after": iso(cert.not_after),
        "ski": cert.ski.hex().upper() if cert.ski else None,
        "aki": cert.aki.hex().upper() if cert.aki else None,
        "policies": list(cert.policy_oids),
        "anomalies": [a.value for a in cert.anomalies],
        "source": cert.source,
    }
    if name is not None:
        out["name"] = name
    if has_key is not None:
        out["private_key"] = has_key
    return out


@app.command()
def inspect(
    paths: Annotated[list[Path], typer.Argument(help="PEM/DER files, folders, keystore JSON.")],
    profile: Annotated[
        bool, typer.Option("--profile", help="Add each certificate's encoding profile.")
    ] = False,
) -> int:
    """Print one JSON object per certificate; exit 1 if any certificate could not be read."""
    found = scan(*paths)
    points = {public_point(key) for key, _ in found.keys}
    for cert in found.certificates:
        line = describe(
            cert, name=found.names.get(cert), has_key=cert.public_point in points or None
        )
        if profile:
            line["profile"] = describe_profile(cert.der).as_dict()
        emit(line)
    for error in found.errors:
        warn(f"error: {error.message}")
    if not found.certificates and not found.errors:
        warn("error: no certificate found in " + ", ".join(str(p) for p in paths))
        return 1
    return 1 if found.errors else 0


@app.command()
def verify(
    cert: Annotated[Path, typer.Argument(help="The certificate to validate (PEM or DER).")],
    ca: Annotated[
        list[Path], typer.Option("--ca", help="Trust anchor certificate(s), files or folders.")
    ],
    path: Annotated[
        list[Path] | None,
        typer.Option("--path", help="Untrusted CA certificates that may complete the path."),
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Validation time, ISO 8601 (default: now).")
    ] = None,
    no_time_checks: Annotated[
        bool, typer.Option("--no-time-checks", help="Disapply notBefore/notAfter checks.")
    ] = False,
) -> int:
    """Validate CERT up to a --ca trust anchor; print the verdict; exit 1 when invalid."""
    if at is not None and no_time_checks:
        raise InputError("--at and --no-time-checks exclude each other")
    leaf = read_certificates(cert)[0]
    anchors = [c for p in ca for c in read_certificates(p) if c.kind is CertificateKind.CA]
    if not anchors:
        raise InputError("no CA certificate among the --ca files")
    intermediates = [c for p in path or [] for c in read_certificates(p)]
    moment = None if no_time_checks else (parse_time(at) if at else datetime.now(UTC))
    result = validate_path(
        leaf,
        anchors=anchors,
        intermediates=intermediates,
        at=moment,
        time_checks=not no_time_checks,
    )
    emit(
        {
            "valid": result.valid,
            "reason": result.reason,
            "failure": result.failure.value if result.failure else None,
            "at": iso(moment) if moment else None,
            "time_checks": not no_time_checks,
            "path": [c.eui or c.subject.rfc4514() for c in result.path],
            "anchor": str(result.anchor.name) if result.anchor and result.anchor.name else None,
        }
    )
    return 0 if result.valid else 1


@app.command()
def issue(
    eui: Annotated[str, typer.Option("--eui", help="Entity identifier (EUI-64).")],
    usage: Annotated[str, typer.Option("--usage", help="DS or KA.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the .pem and .key files.")],
    role: Annotated[
        str | None,
        typer.Option("--role", help="Remote party role: name (networkOperator) or code (3, 0x87)."),
    ] = None,
    device: Annotated[
        bool, typer.Option("--device", help="Issue a device certificate (no role).")
    ] = False,
    common_name: Annotated[str | None, typer.Option("--cn", help="Optional subject CN.")] = None,
    generation: Annotated[
        int, typer.Option("--generation", min=0, help="Issue a new key for the same identity.")
    ] = 0,
    pki_dir: Annotated[
        Path | None, typer.Option("--pki", help="PKI folder (default: $S1HARNESS_PKI or XDG).")
    ] = None,
    seed: Annotated[str | None, typer.Option("--seed", help="Seed for a PKI created now.")] = None,
) -> int:
    """Issue a certificate and key from the project's test PKI (created on first use)."""
    entity, key_usage = Eui64(eui), KeyUsage.parse(usage)
    if device == (role is not None):
        raise InputError("give either --role (organisation certificate) or --device")
    folder = pki_dir or default_pki_dir()
    pki, created = open_pki(folder, seed=seed)
    if device:
        issued = pki.issue_device(entity, key_usage, generation=generation)
        stem = f"{entity.lower()}-device-{key_usage.short}"
    else:
        assert role is not None
        party_role = RemotePartyRole.parse(role)
        issued = pki.issue_organisation(
            entity, party_role, key_usage, common_name=common_name, generation=generation
        )
        stem = f"{entity.lower()}-{party_role.spec_name}-{key_usage.short}"
    if generation:
        stem += f"-g{generation}"
    cert_path, key_path = write_issued(issued, out, stem)
    line = describe(issued.certificate.with_source(str(cert_path)))
    line.update(private_key_file=str(key_path), pki=str(folder), pki_created=created)
    emit(line)
    return 0
