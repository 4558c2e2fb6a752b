"""The options Filebeat documents for its inputs, read from the reference configuration
in contracts/filebeat/filebeat.reference.yml, and a strict check of generated inputs.

The reference is Filebeat's own annotated example: each input type is a section opened by
`- type: <name>`, its options are the (mostly commented-out) keys indented by two spaces,
and each example value tells the option's type.
"""

import re
from functools import cache
from pathlib import Path

REFERENCE = (
    Path(__file__).resolve().parents[1] / "contracts" / "filebeat" / "filebeat.reference.yml"
)
_SECTION = re.compile(r"^#?- type: (\w+)\s*$")
_KEY = re.compile(r"^  #?([a-z_][a-z0-9_.]*):(?:[ \t]+(.*?))?\s*$")
_INT = re.compile(r"^-?\d+$")


def _type_of(value: str | None, following: str) -> str:
    if value in (None, ""):
        if re.match(r"^ {2}#?\s*-", following) or re.match(r"^ {4}-", following):
            return "list"
        if re.match(r"^ {2}#\s+[a-z_][\w.]*:", following) or re.match(r"^ {4}[a-z_]", following):
            return "mapping"
        return "any"
    if value in ("true", "false"):
        return "bool"
    if _INT.match(value):
        return "int"
    if value.startswith("["):
        return "list"
    if value == "~":
        return "any"
    return "str"


@cache
def documented_options() -> dict[str, dict[str, str]]:
    """{input type: {option: bool|int|str|list|mapping|any}} of every documented input."""
    lines = REFERENCE.read_text().splitlines()
    out: dict[str, dict[str, str]] = {}
    current = None
    for i, line in enumerate(lines):
        section = _SECTION.match(line)
        if section:
            current = out.setdefault(section.group(1), {"type": "str"})
            continue
        if current is None:
            continue
        if line.startswith("#=") or line.startswith("# =") or line.startswith("#---"):
            current = None
            continue
        match = _KEY.match(line)
        if match:
            following = next((x for x in lines[i + 1 :] if x.strip() not in ("", "#")), "")
            current.setdefault(match.group(1), _type_of(match.group(2), following))
    return out


_CHECKS = {
    "bool": lambda v: isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "list": lambda v: isinstance(v, list),
    "mapping": lambda v: isinstance(v, dict),
    "any": lambda v: True,
}


def input_errors(item: dict) -> list[str]:
    """Errors of one generated input: an undocumented input type or option, or a value of
    another type than the reference's example. Nested keys are checked dotted
    (`multiline: {match: after}` is `multiline.match`) unless the option is a mapping."""
    options = documented_options().get(item.get("type", ""))
    if options is None:
        return [f"type: {item.get('type')!r} is not a documented input type"]
    errors = []

    def walk(node: dict, prefix: str) -> None:
        for key, value in node.items():
            name = f"{prefix}{key}"
            kind = options.get(name)
            if kind is None and isinstance(value, dict):
                walk(value, f"{name}.")
            elif kind is None:
                errors.append(f"{name}: not an option of the {item['type']} input")
            elif not _CHECKS[kind](value):
                errors.append(f"{name}: expected {kind}, got {type(value).__name__}")

    walk(item, "")
    return errors
