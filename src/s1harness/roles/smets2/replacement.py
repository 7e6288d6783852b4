"""Executing a CS02b/CS02g command: per-cell replacement and floors.

Each replacement is decided on its own, in command order (replacement is per cell, not all or
nothing, as RTDS IMMEDIATE_ERROR shows), and reported with one statusCode:

* **success (0)**: the certificate chains from the root cell through the command's
  certificationPathCertificates, and the cell is replaced;
* **badCertificate (5)**: the certificate does not parse, its keyUsage is not the target
  cell's, or it is not a one-usage end-entity certificate (GBCS §12);
* **noTrustAnchor (10)**: the path does not validate — no issuer, a bad signature, a policy
  mismatch, or (unless the command disapplies time-based checks) a certificate outside its
  validity at the device's clock. RTDS shows 10 for a certificate issued by another CA;
  that time failures share it is this emulator's choice (TAMP has no closer code);
* **trustAnchorNotFound (25)**: the mode may replace the cell but this device type lacks it
  (as CS02a reports an absent role in RTDS).

The certificate's OU role is not compared with the cell's role: RTDS CS02g installs supplier
certificates into load controller cells and the device accepts them.

Whatever the outcomes, the floors of ``[4]``/``[5]``/``[6]`` are applied (the RTDS 8F67 alert
and IMMEDIATE_ERROR responses list them even when cells failed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from s1harness.gbcs.payloads import (
    CpvChecks,
    ExecutionOutcome,
    ReplacementOutcome,
    StatusCode,
    TrustAnchorReplacement,
    UpdateSecurityCredentials,
)
from s1harness.roles.smets2.cells import CellContent, TrustAnchorCells
from s1harness.roles.smets2.floors import FloorSeqNumbers, seq_number_changes
from s1harness.roles.smets2.rules import ModeRule
from s1harness.smki import (
    CertificateParseError,
    PathFailure,
    SmkiCertificate,
    parse_certificate,
    validate_path,
)


@dataclass(frozen=True, slots=True)
class Execution:
    """The state after executing a command, and the outcome the device reports."""

    cells: TrustAnchorCells
    floors: FloorSeqNumbers
    outcome: ExecutionOutcome

    @property
    def succeeded(self) -> bool:
        """True when every replacement succeeded (8F66 rather than 8F67)."""
        return all(o.status == StatusCode.SUCCESS for o in self.outcome.replacement_outcomes)


@dataclass(frozen=True, slots=True)
class _Validation:
    """What every replacement of one command is checked against."""

    path: tuple[SmkiCertificate, ...]
    at: datetime
    time_checks: bool


def execute(
    command: UpdateSecurityCredentials,
    rule: ModeRule,
    cells: TrustAnchorCells,
    floors: FloorSeqNumbers,
    *,
    at: datetime,
) -> Execution:
    """Apply ``command`` to ``cells`` and ``floors`` at the device time ``at``."""
    checks = _Validation(
        path=_parse_all(command.certification_path_certificates),
        at=at,
        time_checks=command.control.apply_time_based_cpv_checks != CpvChecks.DISAPPLY,
    )
    outcomes: list[ReplacementOutcome] = []
    for replacement in command.replacements:
        cells, outcome = _replace(replacement, cells, checks)
        outcomes.append(outcome)
    changes = seq_number_changes(command.control, rule.authoriser)
    result = ExecutionOutcome(
        command.control.seq_number, command.control.mode, changes, tuple(outcomes)
    )
    return Execution(cells, floors.with_changes(changes), result)


def _replace(
    replacement: TrustAnchorReplacement, cells: TrustAnchorCells, checks: _Validation
) -> tuple[TrustAnchorCells, ReplacementOutcome]:
    target = replacement.target
    before = cells.get(target, CellContent())
    status, certificate = _decide(replacement, cells, checks)
    if certificate is not None:
        cells = cells.with_certificate(target, certificate)
    after = cells.get(target, before)
    outcome = ReplacementOutcome(
        cell=target,
        status=status,
        existing_subject_unique_id=before.subject_unique_id,
        existing_subject_key_id=before.subject_key_id,
        replacing_subject_unique_id=after.subject_unique_id,
        replacing_subject_key_id=after.subject_key_id,
    )
    return cells, outcome


def _decide(
    replacement: TrustAnchorReplacement, cells: TrustAnchorCells, checks: _Validation
) -> tuple[StatusCode, SmkiCertificate | None]:
    """The status of one replacement, and the certificate to install on success."""
    if replacement.target not in cells:
        return StatusCode.TRUST_ANCHOR_NOT_FOUND, None
    try:
        certificate = parse_certificate(replacement.certificate)
    except CertificateParseError:
        return StatusCode.BAD_CERTIFICATE, None
    if replacement.target.key_usage not in certificate.key_usages:
        return StatusCode.BAD_CERTIFICATE, None
    result = validate_path(
        certificate,
        anchors=(cells.root_anchor,),
        intermediates=checks.path,
        at=checks.at,
        time_checks=checks.time_checks,
    )
    if result.valid:
        return StatusCode.SUCCESS, certificate
    if result.failure is PathFailure.KEY_USAGE:
        return StatusCode.BAD_CERTIFICATE, None
    return StatusCode.NO_TRUST_ANCHOR, None


def _parse_all(ders: tuple[bytes, ...]) -> tuple[SmkiCertificate, ...]:
    """The path certificates that parse; one that does not can complete no path anyway."""
    parsed: list[SmkiCertificate] = []
    for der in ders:
        try:
            parsed.append(parse_certificate(der))
        except CertificateParseError:
            continue
    return tuple(parsed)
