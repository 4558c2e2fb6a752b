"""Where k2ctl keeps its login: ~/.config/k2ctl/ (or $K2CTL_CONFIG_DIR), files mode 0600."""

from __future__ import annotations

import json
import os
from pathlib import Path


def folder() -> Path:
    base = os.environ.get("K2CTL_CONFIG_DIR") or os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "k2ctl"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by its owner only (created so, never widened)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


def load() -> dict:
    path = folder() / "session.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError:
        return {}


def save(data: dict) -> Path:
    path = folder() / "session.json"
    write_private(path, json.dumps(data, indent=2))
    return path


def clear() -> None:
    (folder() / "session.json").unlink(missing_ok=True)
