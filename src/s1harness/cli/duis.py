"""``s1harness duis``: validate, sign, verify and inspect DUIS XML."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from s1harness import locations
from s1harness.cli._output import emit, parse_time, read_file, warn
from s1harness.cli._summary import summarise
from s1harness.duis import xml
from s1harness.duis.errors import DuisParseError
from s1harness.duis.messages import parse_message
from s1harness.duis.ns import ds, sr
from s1harness.duis.schema import OVERLAYS, load_schema
from s1harness.duis.signature import sign as sign_document
from s1harness.duis.srv import lookup
from s1harness.duis.verifying import originator, verify_message
from s1harness.smki.files import read_certificates
from s1harness.smki.keys import load_private_key
from s1harness.smki.keystore import Keystore
from s1harness.spec.errors import HarnessError, InputError
from s1harness.spec.identifiers import DCC_EUI, Eui64

app = typer.Typer(help="DUIS XML: validate, sign, verify, inspect.", no_args_is_help=True)

OverlayOption = Annotated[
    list[str] | None,
    typer.Option(
        "--overlay", help=f"Schema overlay for a proposed modification ({', '.join(OVERLAYS)})."
    ),
]


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="DUIS documents.")],
    overlay: OverlayOption = None,
) -> int:
    """Validate against the DUIS 5.4 XSD: one JSON object per file; exit 1 if any is invalid."""
    schema = load_schema(tuple(overlay or ()))
    status = 0
    for path in files:
        try:
            issues = schema.validate(xml.parse(read_file(path)))
            errors: list[dict[str, Any]] = [
                {"message": i.message, "path": i.path, "line": i.line} for i in issues
            ]
        except (DuisParseError, InputError) as exc:
            errors = [_error(exc)]
        emit({"file": str(path), "valid": not errors, "errors": errors})
        status = status or (1 if errors else 0)
    return status


def _error(exc: HarnessError) -> dict[str, Any]:
    return {
        "message": exc.message,
        "path": getattr(exc, "path", None),
        "line": getattr(exc, "line", None),
    }


@app.command()
def sign(
    file: Annotated[Path, typer.Argument(help="The DUIS document to sign.")],
    key: Annotated[Path, typer.Option("--key", help="Private key, PEM or DER PKCS#8.")],
    cert: Annotated[Path, typer.Option("--cert", help="The XML-signing certificate.")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write here, not stdout.")] = None,
) -> int:
    """Sign in the DUIS profile (any existing signature, e.g. a template's placeholder, goes)."""
    root = xml.parse(read_file(file))
    certificate = read_certificates(cert)[0]
    if root.tag == sr("Request") and certificate.eui != originator(root):
        warn(
            f"warning: certificate {certificate.eui} is not the RequestID originator "
            f"{originator(root)}; a DSP will refuse the request"
        )
    private_key = load_private_key(read_file(key), source=str(key))
    signed = xml.serialise(sign_document(root, private_key, certificate, embedded=_embedded(root)))
    if out is None:
        sys.stdout.buffer.write(signed + b"\n")
    else:
        try:
            out.write_bytes(signed)
        except OSError as exc:
            raise InputError(f"{out}: cannot write ({exc.strerror})") from None
    return 0


def _embedded(root: Any) -> bool:
    return root.tag in (sr("S1SPAlert"), sr("SMETS1SignedResponse"))


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="The signed DUIS document.")],
    keystore: Annotated[
        list[Path] | None,
        typer.Option("--keystore", help="Keystore JSON or certificate folders (default: ZAZ1)."),
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Also check the certificate's validity then.")
    ] = None,
    dsp_eui: Annotated[
        str, typer.Option("--dsp-eui", help="The DSP's EUI, for responses.")
    ] = DCC_EUI,
) -> int:
    """Verify the signature and its signer; exit 1 when invalid."""
    store = Keystore.load(*(keystore or _default_keystore()))
    root = xml.parse(read_file(file))
    when = parse_time(at) if at else None
    result = verify_message(root, store, dsp_eui=Eui64(dsp_eui), at=when)
    emit(
        {
            "file": str(file),
            "valid": result.valid,
            "signer_eui": result.signer_eui,
            "reason": result.reason,
            "failure": result.failure.value if result.failure else None,
            "certificate_serial": str(result.certificate.serial) if result.certificate else None,
        }
    )
    return 0 if result.valid else 1


def _default_keystore() -> list[Path]:
    folder = locations.find("smki", "zaz1-keystore.json")
    if folder is None:
        raise InputError("no --keystore given and the DCC Boxed ZAZ1 keystore was not found")
    return [folder]


@app.command()
def inspect(file: Annotated[Path, typer.Argument(help="A DUIS document.")]) -> int:
    """Header and body as JSON (certificates and GBCS payloads described, not dumped)."""
    root = xml.parse(read_file(file))
    message = parse_message(root)
    variant = root.findtext(f"{sr('Header')}/{sr('ServiceReferenceVariant')}")
    known = lookup(variant) if variant else None
    emit(
        {
            "file": str(file),
            "kind": type(message).__name__,
            "signed": root.find(ds("Signature")) is not None,
            "srv": summarise(known) if known else None,
            "message": summarise(message),
        }
    )
    return 0
