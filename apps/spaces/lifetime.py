"""How close a test space is to its expiry, and how many renewals its policy allows.

Pure functions over dates and policy numbers (no queries): the space page, the spaces
list, the API and the reminders read the same figures.
"""

import math
from datetime import datetime, timedelta

DAY = timedelta(days=1)


def days_left(expires_at: datetime | None, now: datetime) -> int | None:
    """Whole days until expiry, rounded up (23 hours left is 1 day); 0 once expired; None
    for a space that never expires."""
    if expires_at is None:
        return None
    seconds = (expires_at - now).total_seconds()
    return max(0, math.ceil(seconds / DAY.total_seconds()))


def expiry_colour(left: int | None) -> str:
    """Badge colour of the days left: red ≤ 1 day, orange ≤ 3, yellow ≤ 7, else green."""
    if left is None:
        return "secondary"
    if left <= 1:
        return "red"
    if left <= 3:
        return "orange"
    if left <= 7:
        return "yellow"
    return "green"


def renewals_allowed(
    *, renewals_used: int, expires_at: datetime | None, now: datetime, days: int, cap: datetime
) -> int:
    """Renewals used so far plus the ones that still fit under the cap.

    A renewal adds `days` to max(expiry, now) and is granted without approval while the new
    expiry stays on or before the cap (created_at + cap_days): so as many more as there are
    whole renewal lengths between the expiry and the cap. With the test defaults (14-day
    lifetime, 7-day renewals, 90-day cap) a new space may be renewed 10 times.
    """
    if days <= 0:
        return renewals_used
    start = max(expires_at or now, now)
    remaining = max(0, math.floor((cap - start) / timedelta(days=days)))
    return renewals_used + remaining


def due_window(expires_at: datetime | None, windows: list[int], now: datetime) -> int | None:
    """The tightest reminder window the expiry falls in now (the smallest w with
    expires_at - w days <= now), or None (not yet due, or already expired).

    Only the tightest is sent: a space first seen 2 days before expiry gets the 3-day
    reminder, not the 7-day one as well; the wider windows are never due again for that
    expiry.
    """
    if expires_at is None or expires_at <= now:
        return None
    due = [w for w in windows if expires_at - timedelta(days=w) <= now]
    return min(due) if due else None
