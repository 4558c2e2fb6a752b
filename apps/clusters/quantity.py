"""Kubernetes resource quantities ("500m", "8Gi", "1.5") as plain numbers.

CPU is counted in millicores, memory and pods in units. Kept here (not taken from the
kubernetes package) so that only apps/clusters/gateway.py imports the client.
"""

from decimal import Decimal, InvalidOperation

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
            "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
            "P": Decimal(10**15), "E": Decimal(10**18)}  # fmt: skip


def parse_quantity(value) -> Decimal:
    """The number a quantity stands for; ValueError when it is not one."""
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    text = str(value or "").strip()
    if not text:
        raise ValueError("empty quantity")
    for suffix, factor in _BINARY.items():
        if text.endswith(suffix):
            return _number(text[: -len(suffix)]) * factor
    if text[-1] in _DECIMAL and not text[-1].isdigit():
        return _number(text[:-1]) * _DECIMAL[text[-1]]
    if "e" in text.lower():
        return _number(text)
    return _number(text)


def _number(text: str) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not a quantity: {text!r}") from exc
    if not number.is_finite() or number < 0:
        raise ValueError(f"not a quantity: {text!r}")
    return number


def cpu_millicores(value) -> int:
    return int((parse_quantity(value) * 1000).to_integral_value(rounding="ROUND_CEILING"))


def memory_bytes(value) -> int:
    return int(parse_quantity(value).to_integral_value(rounding="ROUND_CEILING"))


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
