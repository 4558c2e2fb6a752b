"""Per-cluster fault injection: added latency, a random error rate (429/500/503) and
refusing connections, switchable at run time for reliability tests."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Faults:
    latency_ms: int = 0
    error_rate: float = 0.0
    refuse_connections: bool = False

    def pick_error(self) -> int | None:
        if self.error_rate > 0 and random.random() < self.error_rate:
            return random.choice((429, 500, 503))
        return None

    def update(self, data: dict[str, Any]) -> None:
        if "latency_ms" in data:
            self.latency_ms = max(0, int(data["latency_ms"]))
        if "error_rate" in data:
            rate = float(data["error_rate"])
            if not 0.0 <= rate <= 1.0:
                raise ValueError("error_rate must be between 0 and 1")
            self.error_rate = rate
        if "refuse_connections" in data:
            self.refuse_connections = bool(data["refuse_connections"])

    def clear(self) -> None:
        self.latency_ms, self.error_rate, self.refuse_connections = 0, 0.0, False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


ERROR_BODIES = {
    429: (
        "TooManyRequests",
        "the server has received too many requests and has asked us to try again later",
    ),
    500: ("InternalError", "Internal error occurred: injected fault"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
}
