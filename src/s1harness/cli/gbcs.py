"""``s1harness gbcs``: inspect, sign and MAC GBCS frames."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from s1harness.cli._output import emit, read_file
from s1harness.gbcs.crypto import sign_precommand, wrap_mac
from s1harness.gbcs.errors import GbcsError
from s1harness.gbcs.frames import GeneralSigningApdu, MacEnvelope, decode, frame_octets
from s1harness.gbcs.inspect import Inspector
from s1harness.smki.files import read_certificates
from s1harness.smki.keys import load_private_key
from s1harness.smki.keystore import Keystore
from s1harness.spec.errors import InputError

app = typer.Typer(help="GBCS frames: inspect, sign, MAC.", no_args_is_help=True)

KeystoreOption = Annotated[
    list[Path] | None,
    typer.Option("--keystore", help="Keystore JSON, certificate/key folders or files."),
]
OutOption = Annotated[Path | None, typer.Option("-o", "--out", help="Write here, not stdout.")]
BinaryOption = Annotated[bool, typer.Option("--binary", help="Write binary, not hex text.")]


@app.command()
def inspect(
    files: Annotated[list[Path], typer.Argument(help=".HEX text or binary frame files.")],
    keystore: KeystoreOption = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 also when a signature or MAC is invalid.")
    ] = False,
) -> int:
    """One JSON object per frame; exit 1 if any file does not decode."""
    inspector = Inspector(Keystore.load(*keystore) if keystore else None)
    status = 0
    for path in files:
        try:
            result = inspector.inspect(frame_octets(read_file(path)))
        except (GbcsError, InputError) as exc:
            emit({"file": str(path), "error": exc.message, **_where(exc)})
            status = 1
            continue
        line = {"file": str(path), **result.as_dict()}
        emit(line)
        invalid = result.signature.valid is False or result.mac.valid is False
        if result.payload_error is not None or (strict and invalid):
            status = 1
    return status


def _where(exc: Exception) -> dict[str, object]:
    field, offset = getattr(exc, "field", None), getattr(exc, "offset", None)
    return {"field": field, "offset": offset} if field is not None else {}


@app.command()
def sign(
    precommand: Annotated[Path, typer.Argument(help="The PRECOMMAND (.HEX or binary).")],
    key: Annotated[Path, typer.Option("--key", help="The remote party's DS private key.")],
    out: OutOption = None,
    binary: BinaryOption = False,
) -> int:
    """Sign a PRECOMMAND the way a DCC User does (appends 40 and r‖s)."""
    apdu = decode(frame_octets(read_file(precommand)))
    if not isinstance(apdu, GeneralSigningApdu):
        raise InputError(
            f"{precommand}: a PRECOMMAND is a bare General-Signing APDU, not an envelope"
        )
    signed = sign_precommand(apdu, load_private_key(read_file(key), source=str(key)))
    _write(signed.raw, out, binary=binary)
    return 0


@app.command()
def mac(
    signed: Annotated[Path, typer.Argument(help="The signed command (.HEX or binary).")],
    key: Annotated[Path, typer.Option("--key", help="The ACB's KA private key.")],
    device_cert: Annotated[
        Path, typer.Option("--device-cert", help="The device's KA certificate.")
    ],
    out: OutOption = None,
    binary: BinaryOption = False,
) -> int:
    """Wrap a signed (or unsigned) command in the ACB MAC envelope, the way the DCC does."""
    apdu = decode(frame_octets(read_file(signed)))
    if isinstance(apdu, MacEnvelope):
        raise InputError(f"{signed}: already in a MAC envelope")
    certificate = read_certificates(device_cert)[0]
    envelope = wrap_mac(
        apdu, load_private_key(read_file(key), source=str(key)), certificate.public_key()
    )
    _write(envelope.raw, out, binary=binary)
    return 0


def _write(data: bytes, out: Path | None, *, binary: bool) -> None:
    payload = data if binary else data.hex().upper().encode()
    if out is None:
        if binary:
            sys.stdout.buffer.write(payload)
        else:
            sys.stdout.write(payload.decode() + "\n")
        return
    try:
        out.write_bytes(payload)
    except OSError as exc:
        raise InputError(f"{out}: cannot write ({exc.strerror})") from None
