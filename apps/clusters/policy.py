"""Cluster policies: the defaults per environment and the rules every policy obeys."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from apps.clusters.choices import PRODUCTION_ENVIRONMENTS, Environment
from apps.clusters.quantity import cpu_millicores, memory_bytes

POLICY_FIELDS = [
    "cpu_overcommit",
    "memory_overcommit",
    "default_quota_cpu",
    "default_quota_memory",
    "max_quota_cpu",
    "max_quota_memory",
    "default_lifetime_days",
    "renewal_days",
    "renewal_cap_days",
    "reminder_days",
    "terminal_allowed",
]
# At most this many reminder windows per policy, each between 1 and MAX_REMINDER_DAY days.
MAX_REMINDERS = 10
MAX_REMINDER_DAY = 365

# Where a new environment's defaults come from: test memory is overcommitted 2x, production
# memory never, and production never gets a web terminal nor an expiry date; machine
# learning gets no web terminal by default (an admin may allow it per cluster).
BUILTIN_DEFAULTS = {
    Environment.TEST: {
        "cpu_overcommit": Decimal("4"), "memory_overcommit": Decimal("2"),
        "default_quota_cpu": "4", "default_quota_memory": "8Gi",
        "max_quota_cpu": "16", "max_quota_memory": "32Gi",
        "default_lifetime_days": 14, "renewal_days": 7, "renewal_cap_days": 90,
        "reminder_days": None, "terminal_allowed": True,
    },
    Environment.STAGING: {
        "cpu_overcommit": Decimal("4"), "memory_overcommit": Decimal("1.5"),
        "default_quota_cpu": "4", "default_quota_memory": "8Gi",
        "max_quota_cpu": "16", "max_quota_memory": "32Gi",
        "default_lifetime_days": 30, "renewal_days": 14, "renewal_cap_days": 120,
        "reminder_days": None, "terminal_allowed": True,
    },
    Environment.PROD: {
        "cpu_overcommit": Decimal("2"), "memory_overcommit": Decimal("1"),
        "default_quota_cpu": "8", "default_quota_memory": "16Gi",
        "max_quota_cpu": "64", "max_quota_memory": "128Gi",
        "default_lifetime_days": None, "renewal_days": None, "renewal_cap_days": None,
        "reminder_days": None, "terminal_allowed": False,
    },
    Environment.ML: {
        "cpu_overcommit": Decimal("2"), "memory_overcommit": Decimal("1"),
        "default_quota_cpu": "16", "default_quota_memory": "64Gi",
        "max_quota_cpu": "64", "max_quota_memory": "256Gi",
        "default_lifetime_days": 30, "renewal_days": 30, "renewal_cap_days": 180,
        "reminder_days": None, "terminal_allowed": False,  # GPU nodes: k2ctl, not a web shell
    },
}  # fmt: skip

MAX_RATIO = Decimal("20")
# No cluster holds more than this (a million cores, an exbibyte): a larger quota is a typo.
MAX_CPU_MILLICORES = 10**9
MAX_MEMORY_BYTES = 2**60


def _ratio(value, field: str, errors: dict) -> Decimal | None:
    try:
        ratio = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[field] = [_("Give a number such as 1, 1.5 or 2.")]
        return None
    if not (Decimal("1") <= ratio <= MAX_RATIO):
        errors[field] = [_("The ratio must be between 1 and %(max)s.") % {"max": MAX_RATIO}]
        return None
    return ratio.quantize(Decimal("0.01"))


def clean_reminder_days(value) -> list[int] | None:
    """Reminder windows from a list or "7, 3, 1" text: distinct days, largest first.

    Empty (None, "", []) means the installation default (K2_SPACES_REMINDER_DAYS).
    Raises ValueError with a message for a person.
    """
    if value in (None, "", []):
        return None
    items = value.replace(";", ",").split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError(_("Give days before expiry as a list such as 7, 3, 1."))
    days = set()
    for item in items:
        if isinstance(item, bool):
            raise ValueError(_("Give days before expiry as a list such as 7, 3, 1."))
        text = str(item).strip()
        if not text:
            continue
        try:
            number = int(text)
        except ValueError:
            raise ValueError(
                _("%(value)s is not a whole number of days.") % {"value": text[:20]}
            ) from None
        if not 1 <= number <= MAX_REMINDER_DAY:
            raise ValueError(
                _("Each reminder is between 1 and %(max)d days before expiry.")
                % {"max": MAX_REMINDER_DAY}
            )
        days.add(number)
    if len(days) > MAX_REMINDERS:
        raise ValueError(_("At most %(n)d reminders.") % {"n": MAX_REMINDERS})
    return sorted(days, reverse=True) or None


def clean_policy(data: dict, environment: str) -> dict:
    """Validated policy values (a full set of POLICY_FIELDS); ValidationError per field."""
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    clean["cpu_overcommit"] = _ratio(data.get("cpu_overcommit"), "cpu_overcommit", errors)
    clean["memory_overcommit"] = _ratio(data.get("memory_overcommit"), "memory_overcommit", errors)
    for field, parse, example in (
        ("default_quota_cpu", cpu_millicores, "4 or 500m"),
        ("max_quota_cpu", cpu_millicores, "16"),
        ("default_quota_memory", memory_bytes, "8Gi"),
        ("max_quota_memory", memory_bytes, "64Gi"),
    ):
        text = str(data.get(field) or "").strip()
        try:
            amount = parse(text)
            if amount <= 0:
                raise ValueError
            if amount > (MAX_CPU_MILLICORES if "cpu" in field else MAX_MEMORY_BYTES):
                errors[field] = [_("No cluster could hold that much; give a smaller quantity.")]
                continue
            clean[field] = text
        except ValueError:
            errors[field] = [
                _("Give a Kubernetes quantity such as %(example)s.") % {"example": example}
            ]
    for small, big in (("default_quota_cpu", "max_quota_cpu"),
                       ("default_quota_memory", "max_quota_memory")):  # fmt: skip
        parse = cpu_millicores if "cpu" in small else memory_bytes
        if small in clean and big in clean and parse(clean[small]) > parse(clean[big]):
            errors[small] = [_("The default quota cannot exceed the maximum quota.")]
    for field in ("default_lifetime_days", "renewal_days", "renewal_cap_days"):
        value = data.get(field)
        if value in (None, ""):
            clean[field] = None
            continue
        try:
            number = int(value)
            if not 1 <= number <= 3650:
                raise ValueError
            clean[field] = number
        except (TypeError, ValueError):
            errors[field] = [_("Give a number of days between 1 and 3650, or leave it empty.")]
    try:
        clean["reminder_days"] = clean_reminder_days(data.get("reminder_days"))
    except ValueError as exc:
        errors["reminder_days"] = [str(exc)]
    clean["terminal_allowed"] = bool(data.get("terminal_allowed"))

    if environment in PRODUCTION_ENVIRONMENTS:
        if clean.get("memory_overcommit") not in (None, Decimal("1.00")):
            errors["memory_overcommit"] = [
                _("Production memory is never overcommitted: the memory ratio must be 1.")
            ]
        if clean["terminal_allowed"]:
            errors["terminal_allowed"] = [_("The web terminal is never allowed in production.")]
        if clean.get("default_lifetime_days"):
            errors["default_lifetime_days"] = [_("Production spaces never expire.")]
    elif (
        clean.get("default_lifetime_days")
        and clean.get("renewal_cap_days")
        and clean["renewal_cap_days"] < clean["default_lifetime_days"]
    ):
        errors["renewal_cap_days"] = [_("The cap cannot be shorter than the default lifetime.")]
    if (
        clean.get("renewal_days")
        and clean.get("renewal_cap_days")
        and clean["renewal_days"] > clean["renewal_cap_days"]
    ):
        # A renewal longer than the cap could never be granted in full.
        errors["renewal_days"] = [
            _("A renewal can add at most the cap, %(cap)d days.")
            % {"cap": clean["renewal_cap_days"]}
        ]
    if errors:
        raise ValidationError(errors)
    return clean


def policy_values(policy) -> dict:
    """The POLICY_FIELDS of a policy row, JSON-friendly (ratios as strings)."""
    values = {f: getattr(policy, f) for f in POLICY_FIELDS}
    for f in ("cpu_overcommit", "memory_overcommit"):
        values[f] = str(Decimal(values[f]).quantize(Decimal("0.01")))
    return values
