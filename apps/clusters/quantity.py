"""Kubernetes resource quantities ("500m", "8Gi", "1.5") as plain numbers: the one parser.

Parsing is the official client's `kubernetes.utils.quantity.parse_quantity` (re-exported by
apps/clusters/gateway.py, the only module that imports the client), wrapped to refuse what
no resource may be: empty, negative, NaN or infinite. CPU is counted in millicores (rounded
up, as the API server does), memory, storage and pods in units (bytes rounded up).
"""

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from apps.clusters.gateway import parse_quantity as _parse_quantity

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}


def parse_quantity(value) -> Decimal:
    """The number a quantity stands for; ValueError when it is not one."""
    if isinstance(value, bool):
        raise ValueError(f"not a quantity: {value!r}")
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        text = str(value or "").strip()
        if not text:
            raise ValueError("empty quantity")
        number = _parse_quantity(text)
    if not number.is_finite() or number < 0:
        raise ValueError(f"not a quantity: {value!r}")
    return number


def cpu_millicores(value) -> int:
    """'500m' -> 500, '1.5' -> 1500; ValueError for anything that is not a quantity."""
    return int((parse_quantity(value) * 1000).to_integral_value(rounding=ROUND_CEILING))


def memory_bytes(value) -> int:
    """'1Gi' -> 1073741824, '512M' -> 512000000; ValueError for anything else."""
    return int(parse_quantity(value).to_integral_value(rounding=ROUND_CEILING))


def percent(used: int, total: int) -> int:
    """How much of `total` is used, 0 to 100: requests can exceed what is allocatable, and
    the portal's bars and the API's *_used_percent say "full" alike."""
    return min(100, round(100 * used / total)) if total else 0


def format_cpu(millicores: int) -> str:
    if millicores % 1000 == 0:
        return str(millicores // 1000)
    return f"{millicores}m"


def format_memory(num_bytes: int) -> str:
    for suffix in ("Ti", "Gi", "Mi", "Ki"):
        factor = _BINARY[suffix]
        if num_bytes >= factor and num_bytes % factor == 0:
            return f"{num_bytes // factor}{suffix}"
    return str(num_bytes)


def human_memory(num_bytes: int) -> str:
    """Rounded for people: 31.4 GiB."""
    value = float(num_bytes)
    for suffix in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or suffix == "TiB":
            return f"{value:.0f} {suffix}" if suffix == "B" else f"{value:.1f} {suffix}"
        value /= 1024
    return f"{value:.1f} TiB"


def divide(amount: int, ratio) -> int:
    """`amount / ratio` rounded down, never below 1 (a request of 0 means 'none')."""
    ratio = Decimal(str(ratio)) if ratio else Decimal(1)
    ratio = max(ratio, Decimal(1))
    return max(1, int((Decimal(amount) / ratio).to_integral_value(rounding=ROUND_FLOOR)))
