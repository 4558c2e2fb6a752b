"""The app spec: its defaults, normalisation and validation.

A spec is a plain JSON-able dict (what an AppRevision stores). `normalize_spec` fills in
defaults and canonical forms; `validate_spec` returns {field: [messages]} naming each
bad field the way the form, the API and the CLI call it. Nothing here touches a model
or a cluster, so bad input is refused before anything is sent anywhere.
"""

import copy
import re
from collections.abc import Mapping

from django.utils.translation import gettext as _

from apps.clusters.quantity import cpu_millicores, memory_bytes

KINDS = ("service", "stateful", "job", "cronjob")
PROTOCOLS = ("TCP", "UDP", "SCTP")
PROBE_TYPES = ("http", "tcp", "exec")
# App names are also object-name prefixes ("<app>-canary-config", StatefulSet pod names
# with their controller-revision hash), so they stay well under the 63-character label limit.
MAX_APP_NAME = 40
# Names the portal's URLs use beside app names (/apps/<space>/new/).
RESERVED_NAMES = frozenset({"new", "validate", "adopt"})

DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
PORT_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
ENV_NAME_RE = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
LABEL_KEY_RE = re.compile(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
LABEL_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")
CONFIG_KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")
# registry host (with a dot, a port or "localhost") / project / repository[/more] : tag | @digest
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE_RE = re.compile(
    r"^(?P<registry>(?:[a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+(?::\d+)?|localhost(?::\d+)?|[a-zA-Z0-9-]+:\d+)"
    rf"/(?P<path>{_COMPONENT}(?:/{_COMPONENT})+)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?$"
)

DEFAULTS = {
    "kind": "service",
    "image": "",
    "command": [],
    "args": [],
    "schedule": "",
    "ports": [],
    "ingress": None,
    "env": [],
    "config_files": [],
    "config_mount_path": "/config",
    "cpu_limit": "500m",
    "memory_limit": "512Mi",
    "liveness": None,
    "readiness": None,
    "java": {"enabled": False, "heap_percent": 75},
    "stdout_logging": False,
    # Glob patterns of log files, relative to the app's log directory (the per-pod
    # sub-directory of /log-dir/k2-logs/<namespace>/<app>): what Filebeat collects.
    "log_files": [],
    "share_process_namespace": True,
    "storage": None,
    # Only for adopted Deployments: their original selector, which cannot change, and
    # their container's name (server-side apply merges containers by name).
    "selector": {},
    "container_name": "",
}
PROBE_DEFAULTS = {
    "type": "http",
    "path": "/",
    "port": None,
    "command": [],
    "initial_delay_seconds": 10,
    "period_seconds": 10,
    "timeout_seconds": 1,
    "failure_threshold": 3,
}
STORAGE_DEFAULTS = {"size": "1Gi", "mount_path": "/data", "storage_class": ""}


def normalize_spec(raw: Mapping) -> dict:
    """A complete spec: defaults filled in, known keys only, canonical shapes.

    Tolerant of junk (validation reports it); never raises on a dict.
    """
    spec = copy.deepcopy(DEFAULTS)
    for key in DEFAULTS:
        if key in raw and raw[key] is not None:
            spec[key] = copy.deepcopy(raw[key])
        elif key in raw and raw[key] is None and DEFAULTS[key] is None:
            spec[key] = None
    if isinstance(spec["java"], Mapping):
        spec["java"] = {**DEFAULTS["java"], **{k: spec["java"][k] for k in spec["java"]}}
        spec["java"] = {k: spec["java"][k] for k in DEFAULTS["java"]}
    ports = []
    for port in spec["ports"] if isinstance(spec["ports"], list) else []:
        if isinstance(port, Mapping):
            number = port.get("port")
            ports.append(
                {
                    "name": port.get("name") or (f"port-{number}" if number is not None else ""),
                    "port": number,
                    "protocol": (port.get("protocol") or "TCP").upper(),
                    "expose": bool(port.get("expose", True)),
                }
            )
        else:
            ports.append(port)
    spec["ports"] = ports
    for key in ("liveness", "readiness"):
        if isinstance(spec[key], Mapping):
            probe = {**PROBE_DEFAULTS, **{k: v for k, v in spec[key].items() if v is not None}}
            if probe["port"] is None and ports and isinstance(ports[0], Mapping):
                probe["port"] = ports[0]["port"]
            spec[key] = {k: probe[k] for k in PROBE_DEFAULTS}
    if isinstance(spec["ingress"], Mapping):
        ingress = {"host": "", "path": "/", "port": None, **spec["ingress"]}
        if ingress["port"] is None:
            exposed = [p for p in ports if isinstance(p, Mapping) and p["expose"]]
            ingress["port"] = exposed[0]["port"] if exposed else None
        spec["ingress"] = {k: ingress[k] for k in ("host", "path", "port")}
        if not spec["ingress"]["host"]:
            spec["ingress"] = None
    if isinstance(spec["storage"], Mapping):
        storage = {**STORAGE_DEFAULTS, **{k: v for k, v in spec["storage"].items() if v}}
        spec["storage"] = {k: storage[k] for k in STORAGE_DEFAULTS}
    if spec["kind"] == "stateful" and spec["storage"] is None:
        spec["storage"] = dict(STORAGE_DEFAULTS)
    if spec["kind"] != "stateful":
        spec["storage"] = None
    if spec["kind"] != "cronjob":
        spec["schedule"] = ""
    if isinstance(spec["schedule"], str):
        spec["schedule"] = " ".join(spec["schedule"].split())
    if isinstance(spec["log_files"], list):
        spec["log_files"] = [p.strip() if isinstance(p, str) else p for p in spec["log_files"]]
    for key in ("image", "cpu_limit", "memory_limit", "config_mount_path"):
        if isinstance(spec[key], str):
            spec[key] = spec[key].strip()
    return spec


def validate_app_name(name) -> list[str]:
    if not isinstance(name, str) or not name:
        return [_("Enter a name.")]
    if len(name) > MAX_APP_NAME:
        return [
            _("Use at most %(max)d characters (this one has %(length)d).")
            % {"max": MAX_APP_NAME, "length": len(name)}
        ]
    if name in RESERVED_NAMES:
        return [_("'%(name)s' is reserved; choose another name.") % {"name": name}]
    if not DNS_LABEL_RE.match(name):
        return [
            _(
                "Use lowercase letters, digits and hyphens, starting and ending with a letter "
                "or digit (for example 'billing-api')."
            )
        ]
    return []


def validate_image(image) -> list[str]:
    if not isinstance(image, str) or not image:
        return [_("Enter an image reference.")]
    match = IMAGE_RE.match(image)
    if not match:
        return [
            _(
                "'%(image)s' is not an image reference of the form "
                "registry/project/repository:tag or registry/project/repository@sha256:<digest>."
            )
            % {"image": image}
        ]
    if not match["tag"] and not match["digest"]:
        return [_("Add a tag (':1.4.2') or a digest ('@sha256:...') to the image reference.")]
    return []


def validate_cpu(text) -> list[str]:
    try:
        value = cpu_millicores(text)
    except (TypeError, ValueError):
        return [
            _("'%(value)s' is not a CPU quantity: use cores ('1', '0.5') or millicores ('500m').")
            % {"value": text}
        ]
    if value < 10:
        return [_("Use at least 10m of CPU.")]
    return []


def validate_memory(text) -> list[str]:
    try:
        value = memory_bytes(text)
    except (TypeError, ValueError):
        return [
            _("'%(value)s' is not a memory quantity: use for example '512Mi' or '2Gi'.")
            % {"value": text}
        ]
    if value < 4 * 2**20:
        return [_("Use at least 4Mi of memory.")]
    return []


# --- cron ------------------------------------------------------------------------------
_CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
_CRON_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}),
    ("day of week", 0, 7, {d: i for i, d in enumerate(
        ("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}),
)  # fmt: skip


def _cron_value(text: str, low: int, high: int, names: dict) -> int:
    value = names[text.lower()] if text.lower() in names else int(text)
    if not low <= value <= high:
        raise ValueError
    return value


def _cron_field(text: str, low: int, high: int, names: dict) -> None:
    for part in text.split(","):
        base, _slash, step = part.partition("/")
        if _slash and (not step.isdigit() or int(step) < 1):
            raise ValueError
        if base in ("*", "?"):
            continue
        start, dash, end = base.partition("-")
        first = _cron_value(start, low, high, names)
        if dash and _cron_value(end, low, high, names) < first:
            raise ValueError


def validate_cron(schedule) -> list[str]:
    """Standard five-field cron (as Kubernetes CronJobs take it) or a macro like @daily."""
    if not isinstance(schedule, str) or not schedule.strip():
        return [_("Enter a schedule, for example '*/15 * * * *' or '@daily'.")]
    text = " ".join(schedule.split())
    if text.startswith("@"):
        return (
            []
            if text in _CRON_MACROS
            else [_("'%(value)s' is not a cron macro.") % {"value": text}]
        )
    parts = text.split(" ")
    if len(parts) != 5:
        return [
            _("A schedule has five fields (minute hour day-of-month month day-of-week); "
              "'%(value)s' has %(count)d.") % {"value": text, "count": len(parts)}
        ]  # fmt: skip
    for part, (label, low, high, names) in zip(parts, _CRON_FIELDS, strict=True):
        try:
            _cron_field(part, low, high, names)
        except (ValueError, KeyError):
            return [
                _("The %(field)s field '%(value)s' is not valid (allowed %(low)d-%(high)d).")
                % {"field": label, "value": part, "low": low, "high": high}
            ]
    return []


# --- the whole spec ---------------------------------------------------------------------
def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate_ports(ports, errors: dict) -> None:
    if not isinstance(ports, list):
        errors.setdefault("ports", []).append(_("Ports must be a list."))
        return
    seen_numbers, seen_names = set(), set()
    for i, port in enumerate(ports, start=1):
        if not isinstance(port, Mapping):
            errors.setdefault("ports", []).append(_("Port %(n)d is not an object.") % {"n": i})
            continue
        number = port.get("port")
        if not _is_int(number) or not 1 <= number <= 65535:
            errors.setdefault("ports", []).append(
                _("Port %(n)d: '%(value)s' is not a port number between 1 and 65535.")
                % {"n": i, "value": number}
            )
        elif (number, port["protocol"]) in seen_numbers:
            errors.setdefault("ports", []).append(
                _("Port %(value)s is listed twice.") % {"value": number}
            )
        else:
            seen_numbers.add((number, port["protocol"]))
        if port["protocol"] not in PROTOCOLS:
            errors.setdefault("ports", []).append(
                _("Port %(n)d: the protocol must be TCP, UDP or SCTP.") % {"n": i}
            )
        name = port.get("name")
        if (
            not isinstance(name, str)
            or len(name) > 15
            or not PORT_NAME_RE.match(name)
            or not re.search("[a-z]", name)
        ):
            errors.setdefault("ports", []).append(
                _("Port %(n)d: the name '%(name)s' must be at most 15 lowercase letters, digits "
                  "or hyphens, with at least one letter.") % {"n": i, "name": name}
            )  # fmt: skip
        elif name in seen_names:
            errors.setdefault("ports", []).append(
                _("Port name '%(name)s' is used twice.") % {"name": name}
            )
        else:
            seen_names.add(name)


def _validate_probe(key: str, probe, errors: dict) -> None:
    if probe is None:
        return
    if not isinstance(probe, Mapping) or probe.get("type") not in PROBE_TYPES:
        errors.setdefault(key, []).append(_("The probe type must be http, tcp or exec."))
        return
    if probe["type"] in ("http", "tcp"):
        port = probe.get("port")
        if not _is_int(port) or not 1 <= port <= 65535:
            errors.setdefault(key, []).append(
                _("'%(value)s' is not a port number between 1 and 65535.") % {"value": port}
            )
    if probe["type"] == "http" and not str(probe.get("path", "")).startswith("/"):
        errors.setdefault(key, []).append(_("The probe path must start with '/'."))
    if probe["type"] == "exec" and (
        not isinstance(probe.get("command"), list) or not probe["command"]
    ):
        errors.setdefault(key, []).append(_("An exec probe needs a command."))
    for field in (
        "initial_delay_seconds",
        "period_seconds",
        "timeout_seconds",
        "failure_threshold",
    ):
        value = probe.get(field)
        low = 0 if field == "initial_delay_seconds" else 1
        if not _is_int(value) or not low <= value <= 3600:
            errors.setdefault(key, []).append(
                _("%(field)s must be a whole number between %(low)d and 3600.")
                % {"field": field.replace("_", " "), "low": low}
            )


def validate_spec(spec: Mapping) -> dict[str, list[str]]:
    """Errors of a normalised spec by field; empty when it can be rendered and applied."""
    errors: dict[str, list[str]] = {}

    def add(field: str, messages: list[str]) -> None:
        if messages:
            errors.setdefault(field, []).extend(messages)

    kind = spec.get("kind")
    if kind not in KINDS:
        add("kind", [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(KINDS)}])
    add("image", validate_image(spec.get("image")))
    add("cpu_limit", validate_cpu(spec.get("cpu_limit")))
    add("memory_limit", validate_memory(spec.get("memory_limit")))
    if kind == "cronjob":
        add("schedule", validate_cron(spec.get("schedule")))
    for key in ("command", "args"):
        value = spec.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            add(key, [_("Give a list of strings.")])
    _validate_ports(spec.get("ports"), errors)

    env = spec.get("env")
    if not isinstance(env, list):
        add("env", [_("Environment variables must be a list.")])
    else:
        seen = set()
        for item in env:
            name = item.get("name") if isinstance(item, Mapping) else None
            if not isinstance(name, str) or not ENV_NAME_RE.match(name):
                add("env", [_("'%(name)s' is not a valid variable name.") % {"name": name}])
            elif name in seen:
                add("env", [_("The variable %(name)s is set twice.") % {"name": name}])
            else:
                seen.add(name)
                if not isinstance(item.get("value", ""), str):
                    add("env", [_("The value of %(name)s must be text.") % {"name": name}])

    files = spec.get("config_files")
    if not isinstance(files, list):
        add("config_files", [_("Config files must be a list.")])
    else:
        seen = set()
        total = 0
        for item in files:
            name = item.get("name") if isinstance(item, Mapping) else None
            if not isinstance(name, str) or len(name) > 253 or not CONFIG_KEY_RE.match(name):
                add(
                    "config_files",
                    [_("'%(name)s' is not a valid file name (letters, digits, '-', '_', '.').")
                     % {"name": name}],
                )  # fmt: skip
            elif name in seen:
                add("config_files", [_("The file %(name)s is listed twice.") % {"name": name}])
            else:
                seen.add(name)
                content = item.get("content", "")
                if not isinstance(content, str):
                    add(
                        "config_files",
                        [_("The content of %(name)s must be text.") % {"name": name}],
                    )
                else:
                    total += len(content.encode())
        if total > 900 * 1024:
            add("config_files", [_("Config files may hold at most 900 KiB together.")])
    mount = spec.get("config_mount_path")
    if not isinstance(mount, str) or not mount.startswith("/") or mount.rstrip("/") == "":
        add("config_mount_path", [_("Use an absolute path other than '/', such as /config.")])

    ingress = spec.get("ingress")
    if ingress is not None:
        if kind not in ("service", "stateful"):
            add("ingress", [_("Only services and stateful apps can have an ingress.")])
        host = ingress.get("host") if isinstance(ingress, Mapping) else None
        if not isinstance(host, str) or len(host) > 253 or not DNS_SUBDOMAIN_RE.match(host):
            add("ingress_host", [_("'%(host)s' is not a valid host name.") % {"host": host}])
        if not isinstance(ingress, Mapping) or not str(ingress.get("path", "")).startswith("/"):
            add("ingress_path", [_("The path must start with '/'.")])
        exposed = {
            p.get("port")
            for p in spec.get("ports") or []
            if isinstance(p, Mapping) and p.get("expose")
        }
        if isinstance(ingress, Mapping) and ingress.get("port") not in exposed:
            add("ingress_host", [_("An ingress needs an exposed port to send traffic to.")])

    for key in ("liveness", "readiness"):
        _validate_probe(key, spec.get(key), errors)

    java = spec.get("java")
    if not isinstance(java, Mapping):
        add("java", [_("Invalid Java settings.")])
    else:
        percent = java.get("heap_percent")
        if not _is_int(percent) or not 10 <= percent <= 95:
            add(
                "java_heap_percent",
                [_("The heap must be between 10% and 95% of the memory limit.")],
            )
    storage = spec.get("storage")
    if kind == "stateful":
        if not isinstance(storage, Mapping):
            add("storage_size", [_("A stateful app needs storage.")])
        else:
            add("storage_size", validate_memory(storage.get("size")))
            mount_path = storage.get("mount_path")
            if not isinstance(mount_path, str) or not mount_path.startswith("/"):
                add("storage_mount_path", [_("Use an absolute path such as /data.")])
            sc = storage.get("storage_class") or ""
            if sc and not DNS_SUBDOMAIN_RE.match(sc):
                add(
                    "storage_class", [_("'%(value)s' is not a storage class name.") % {"value": sc}]
                )
    for key in ("stdout_logging", "share_process_namespace"):
        if not isinstance(spec.get(key), bool):
            add(key, [_("Choose yes or no.")])
    add("log_files", validate_log_files(spec.get("log_files", [])))
    container = spec.get("container_name")
    if not isinstance(container, str) or (container and not DNS_LABEL_RE.match(container)):
        add("container_name", [_("'%(name)s' is not a container name.") % {"name": container}])
    selector = spec.get("selector")
    if not isinstance(selector, Mapping) or not all(
        isinstance(k, str)
        and isinstance(v, str)
        and LABEL_KEY_RE.match(k)
        and LABEL_VALUE_RE.match(v)
        for k, v in selector.items()
    ):
        add("selector", [_("The selector must map label names to label values.")])
    return errors


MAX_LOG_PATTERNS = 20
LOG_PATTERN_RE = re.compile(r"^[-\w.*?\[\]{},/]+$")


def validate_log_files(patterns) -> list[str]:
    """Log file patterns stay inside the app's log directory: relative, no `..`, glob
    characters allowed (Filebeat expands them), at most MAX_LOG_PATTERNS."""
    if not isinstance(patterns, list):
        return [_("Log file patterns must be a list.")]
    if len(patterns) > MAX_LOG_PATTERNS:
        return [_("At most %(n)d log file patterns.") % {"n": MAX_LOG_PATTERNS}]
    errors, seen = [], set()
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern.strip():
            errors.append(_("A log file pattern must be non-empty text."))
        elif pattern.startswith("/"):
            errors.append(_("'%(p)s': use a path relative to the log directory, not an absolute "
                            "one.") % {"p": pattern})  # fmt: skip
        elif ".." in pattern.split("/"):
            errors.append(_("'%(p)s': '..' would leave the log directory.") % {"p": pattern})
        elif len(pattern) > 200 or not LOG_PATTERN_RE.match(pattern) or "//" in pattern:
            errors.append(_("'%(p)s' is not a file pattern (letters, digits, '-', '_', '.', '/' "
                            "and the glob characters * ? [ ] { } ,).") % {"p": pattern})  # fmt: skip
        elif pattern in seen:
            errors.append(_("The pattern %(p)s is listed twice.") % {"p": pattern})
        else:
            seen.add(pattern)
    return errors


def validate_replicas(replicas) -> list[str]:
    if not _is_int(replicas) or not 0 <= replicas <= 100:
        return [_("Replicas must be a whole number between 0 and 100.")]
    return []


def validate_weight(weight) -> list[str]:
    if not _is_int(weight) or not 0 <= weight <= 100:
        return [_("'%(value)s' is not a weight between 0 and 100.") % {"value": weight}]
    return []
