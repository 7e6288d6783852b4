"""SRPD 6.1(f) Registration Data eligibility as pure functions over registration periods.

SRPD 6.1(f): the DSP accepts a Service Request only if the User is, or will be, the eligible
User for the device's MPAN/MPRN at the execution time or over the requested date range. The
eligible User in a role is the registered import supplier (IS) or Electricity Distributor (ED)
for an MPAN, the registered gas supplier (GS) or Gas Transporter (GT) for an MPRN. No period
makes any other role (ES, OU, RSA) eligible; the SRPD 6.2 exemptions (Other User, SECMP0107's
SMETS1 6.15.1 from a Network Operator: :mod:`s1harness.spec.checks`) belong to the DSP, not
here.

:class:`~s1harness.registry.store.Registry` fetches the periods; these functions decide.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from s1harness.registry.model import RegistrationPeriod, utc
from s1harness.spec.identifiers import Eui64
from s1harness.spec.users import UserRole


def period_at(periods: Iterable[RegistrationPeriod], at: datetime) -> RegistrationPeriod | None:
    """The period in force at ``at`` (periods of one MPxN never overlap), or ``None``."""
    return next((period for period in periods if period.contains(at)), None)


def eligible_at(
    periods: Iterable[RegistrationPeriod], user_id: Eui64, role: UserRole, at: datetime
) -> bool:
    """SRPD 6.1(f) at one instant: ``user_id`` holds ``role`` for the MPxN at ``at``."""
    period = period_at(periods, at)
    return period is not None and period.holder(role) == user_id


def eligible_throughout(
    periods: Iterable[RegistrationPeriod],
    user_id: Eui64,
    role: UserRole,
    start: datetime,
    end: datetime,
) -> bool:
    """SRPD 6.1(f) over the closed range ``[start, end]``: eligible at every instant of it.

    Consecutive periods in which the user keeps the role (e.g. the supplier stays while the
    network operator changes) together cover the range.
    """
    held = [period for period in periods if period.holder(role) == user_id]
    return covers(held, start, end)


def covers(periods: Iterable[RegistrationPeriod], start: datetime, end: datetime) -> bool:
    """Whether the union of half-open ``periods`` contains every instant of ``[start, end]``.

    Raises:
        InputError: if a bound is not timezone-aware.
    """
    cursor, end = utc(start, "start"), utc(end, "end")
    for period in sorted(periods, key=lambda p: p.effective_from):
        if period.effective_from > cursor:
            return False
        if period.effective_to is None:
            return True
        cursor = max(cursor, period.effective_to)
        if cursor > end:
            return True
    return False
