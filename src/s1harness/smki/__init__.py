"""SMKI certificate handling: parsing, a test PKI, path validation and keystores.

The profiles are the SMKI Organisation and Device Certificate Profiles (GBCS §12); the README's
"SMKI certificates" section says which anomalies of the real test data are read.
"""

from s1harness.smki.certificate import Anomaly, CertificateKind, SmkiCertificate, parse_certificate
from s1harness.smki.errors import CertificateParseError, KeystoreError, SmkiError
from s1harness.smki.files import ScanResult, read_certificates, scan
from s1harness.smki.keystore import Keystore, KeystoreEntry
from s1harness.smki.pki import IssuedCertificate, PartyCredentials, TestPki
from s1harness.smki.profile import CertificateProfile, describe_profile
from s1harness.smki.validation import PathFailure, PathResult, TrustAnchor, validate_path

__all__ = [
    "Anomaly",
    "CertificateKind",
    "CertificateParseError",
    "CertificateProfile",
    "IssuedCertificate",
    "Keystore",
    "KeystoreEntry",
    "KeystoreError",
    "PartyCredentials",
    "PathFailure",
    "PathResult",
    "ScanResult",
    "SmkiCertificate",
    "SmkiError",
    "TestPki",
    "TrustAnchor",
    "describe_profile",
    "parse_certificate",
    "read_certificates",
    "scan",
    "validate_path",
]
