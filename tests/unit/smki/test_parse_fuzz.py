"""Decoders under random input: only the codec's own errors, never a crash."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s1harness.smki import CertificateParseError, TestPki, describe_profile, parse_certificate
from s1harness.spec import KeyUsage, RemotePartyRole

_NO = RemotePartyRole.NETWORK_OPERATOR
_SAMPLE = TestPki("fuzz").issue_organisation("90B3D51F30020000", _NO, KeyUsage.KEY_AGREEMENT)
_SAMPLE_DER = _SAMPLE.certificate.der


@given(st.binary(max_size=600))
def test_random_bytes_raise_only_parse_errors(data: bytes) -> None:
    with contextlib.suppress(CertificateParseError):
        parse_certificate(data)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(_SAMPLE_DER) - 1), st.integers(1, 255), st.integers(0, len(_SAMPLE_DER)))
def test_mutated_certificates_parse_or_raise_parse_errors(at: int, flip: int, cut: int) -> None:
    mutated = bytearray(_SAMPLE_DER)
    mutated[at] ^= flip
    for candidate in (bytes(mutated), _SAMPLE_DER[:cut]):
        try:
            cert = parse_certificate(candidate)
        except CertificateParseError:
            continue
        assert cert.der == candidate
        # The lenient path accepts some BER the profile walker refuses: refusing is fine,
        # crashing is not.
        with contextlib.suppress(CertificateParseError):
            describe_profile(candidate)
