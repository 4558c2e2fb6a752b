"""Kubernetes quantities for app specs: CPU in millicores, memory in bytes.

Pure and small on purpose: rendering needs exact integer arithmetic for requests
derived from limits, and must not depend on the Kubernetes client.
"""

import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

CPU_RE = re.compile(r"^(?P<num>\d+(\.\d{1,3})?)(?P<unit>m?)$")
MEMORY_RE = re.compile(r"^(?P<num>\d+(\.\d+)?)(?P<unit>Ki|Mi|Gi|Ti|k|M|G|T)?$")
_MEMORY_UNITS = {
    None: 1, "": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
}  # fmt: skip


def cpu_millicores(text: str) -> int:
    """'500m' -> 500, '1.5' -> 1500; ValueError for anything else."""
    match = CPU_RE.match(str(text).strip())
    if not match:
        raise ValueError(f"not a CPU quantity: {text!r}")
    number = Decimal(match["num"])
    value = number if match["unit"] == "m" else number * 1000
    if value != value.to_integral_value():
        raise ValueError(f"CPU below one millicore: {text!r}")
    return int(value)


def memory_bytes(text: str) -> int:
    """'1Gi' -> 1073741824, '512M' -> 512000000; ValueError for anything else."""
    match = MEMORY_RE.match(str(text).strip())
    if not match:
        raise ValueError(f"not a memory quantity: {text!r}")
    value = Decimal(match["num"]) * _MEMORY_UNITS[match["unit"]]
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def format_cpu(millicores: int) -> str:
    if millicores % 1000 == 0:
        return str(millicores // 1000)
    return f"{millicores}m"


def format_memory(num_bytes: int) -> str:
    for suffix, factor in (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if num_bytes >= factor and num_bytes % factor == 0:
            return f"{num_bytes // factor}{suffix}"
    return str(num_bytes)


def divide(amount: int, ratio) -> int:
    """`amount / ratio` rounded down, never below 1 (a request of 0 means 'none')."""
    ratio = Decimal(str(ratio)) if ratio else Decimal(1)
    ratio = max(ratio, Decimal(1))
    return max(1, int((Decimal(amount) / ratio).to_integral_value(rounding=ROUND_FLOOR)))
