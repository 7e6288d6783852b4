"""SMKI errors: one family under :class:`s1harness.spec.HarnessError`."""

from __future__ import annotations

from s1harness.spec.errors import HarnessError, InputError


class SmkiError(HarnessError):
    """Base of SMKI certificate and keystore errors."""

    code = "SMKI"


class CertificateParseError(SmkiError, InputError):
    """Bytes that are not an SMKI certificate (not DER X.509, or not in an SMKI profile)."""

    code = "SMKI-PARSE"


class KeystoreError(SmkiError, InputError):
    """A keystore file or folder that cannot be read."""

    code = "SMKI-KEYSTORE"
