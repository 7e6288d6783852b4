"""Object identifiers of the SMKI Organisation and Device Certificate Profiles."""

from __future__ import annotations

from typing import Final

ECDSA_WITH_SHA256: Final = "1.2.840.10045.4.3.2"
EC_PUBLIC_KEY: Final = "1.2.840.10045.2.1"
PRIME256V1: Final = "1.2.840.10045.3.1.7"

COMMON_NAME: Final = "2.5.4.3"
ORGANIZATIONAL_UNIT: Final = "2.5.4.11"
X500_UNIQUE_IDENTIFIER: Final = "2.5.4.45"

KEY_USAGE: Final = "2.5.29.15"
SUBJECT_KEY_IDENTIFIER: Final = "2.5.29.14"
SUBJECT_ALT_NAME: Final = "2.5.29.17"
BASIC_CONSTRAINTS: Final = "2.5.29.19"
CERTIFICATE_POLICIES: Final = "2.5.29.32"
AUTHORITY_KEY_IDENTIFIER: Final = "2.5.29.35"

HARDWARE_MODULE_NAME: Final = "1.3.6.1.5.5.7.8.4"
"""RFC 4108 id-on-hardwareModuleName, the device certificate SAN otherName."""

ORGANISATION_POLICY: Final = "1.2.826.0.1.8641679.1.2.1.4"
"""The certificate policy on ZAZ1 organisation and OCA certificates (test environment)."""

DEVICE_POLICY: Final = "1.2.826.0.1.1800000.1.2.1.4"
"""The certificate policy on the RTDS device certificates (test environment)."""

DEVICE_HW_TYPE: Final = "1.2.826.0.1.8641679.1.2.2.1"
"""hwType inside a device certificate's hardwareModuleName."""

SHORT_NAMES: Final = {
    COMMON_NAME: "CN",
    ORGANIZATIONAL_UNIT: "OU",
    "2.5.4.10": "O",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
}
