"""Portal forms of apps: the create/edit form (flat fields <-> the spec), filters, small actions.

The form checks syntax field by field with the same validators the services use, so the
portal shows mistakes inline (also live, through the HTMX `validate` view) before a
submit; the service still validates everything (quota, placement, names taken).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.workloads.choices import AppKind, AppStatus
from apps.workloads.rendering.spec import (
    DEFAULTS,
    ENV_NAME_RE,
    PORT_NAME_RE,
    validate_app_name,
    validate_cpu,
    validate_cron,
    validate_image,
    validate_log_files,
    validate_memory,
)

CONFIG_SLOTS = 3
PROBE_CHOICES = [("", _("None")), ("http", _("HTTP GET")), ("tcp", _("TCP connect"))]
PROTOCOLS = ("TCP", "UDP", "SCTP")


def parse_ports(text: str) -> tuple[list[dict], list[str]]:
    """One port a line: "8080", "http 8080", "metrics 9090/TCP internal" (not exposed)."""
    ports, errors = [], []
    for n, line in enumerate((text or "").splitlines(), start=1):
        words = line.split()
        if not words:
            continue
        expose = True
        if words[-1].lower() == "internal":
            expose, words = False, words[:-1]
        name = words[0] if len(words) == 2 else None
        spec = words[-1] if words else ""
        number, _slash, protocol = spec.partition("/")
        protocol = (protocol or "TCP").upper()
        if len(words) not in (1, 2) or not number.isdigit() or not 1 <= int(number) <= 65535:
            errors.append(
                _(
                    "Line %(n)d: '%(line)s' is not a port between 1 and 65535 (e.g. 'http 8080/TCP')."
                )
                % {"n": n, "line": line.strip()}
            )
            continue
        if protocol not in PROTOCOLS:
            errors.append(_("Line %(n)d: the protocol must be TCP, UDP or SCTP.") % {"n": n})
            continue
        if name is not None and (not PORT_NAME_RE.match(name) or len(name) > 15):
            errors.append(_("Line %(n)d: '%(name)s' is not a port name.") % {"n": n, "name": name})
            continue
        ports.append({"name": name or f"port-{number}", "port": int(number), "protocol": protocol,
                      "expose": expose})  # fmt: skip
    return ports, errors


def format_ports(ports: list[dict]) -> str:
    return "\n".join(
        f"{p['name']} {p['port']}/{p['protocol']}" + ("" if p.get("expose", True) else " internal")
        for p in ports
    )


def parse_env(text: str) -> tuple[list[dict], list[str]]:
    env, errors = [], []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, eq, value = line.partition("=")
        name = name.strip()
        if not eq or not ENV_NAME_RE.match(name):
            errors.append(_("Line %(n)d: write NAME=value.") % {"n": n})
            continue
        env.append({"name": name, "value": value})
    return env, errors


class AppForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=40,
        help_text=_("Lowercase letters, digits and hyphens; it names the Kubernetes objects."),
    )  # fmt: skip
    kind = forms.ChoiceField(label=_("Kind"), choices=AppKind.choices, initial=AppKind.SERVICE)
    image = forms.CharField(
        label=_("Image"), max_length=500,
        help_text=_("registry/project/repository:tag or @sha256:digest"),
    )  # fmt: skip
    replicas = forms.IntegerField(label=_("Replicas"), min_value=0, max_value=100, initial=1)
    schedule = forms.CharField(
        label=_("Schedule (cron jobs)"),
        required=False,
        help_text=_("For example */15 * * * * or @daily"),
    )
    command = forms.CharField(
        label=_("Command"), required=False, help_text=_("Space-separated; empty keeps the image's.")
    )
    ports = forms.CharField(
        label=_("Ports"), required=False, widget=forms.Textarea(attrs={"rows": 2}), initial="http 8080",
        help_text=_("One a line: 'http 8080', 'dns 53/UDP', add 'internal' to keep a port off the Service."),
    )  # fmt: skip
    ingress_host = forms.CharField(label=_("Ingress host"), required=False)
    ingress_path = forms.CharField(label=_("Ingress path"), required=False, initial="/")
    env = forms.CharField(
        label=_("Environment variables"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line: NAME=value"),
    )  # fmt: skip
    cpu_limit = forms.CharField(
        label=_("CPU limit"), initial=DEFAULTS["cpu_limit"],
        help_text=_("Cores ('1') or millicores ('500m'). Requests follow the cluster's overcommit policy."),
    )  # fmt: skip
    memory_limit = forms.CharField(label=_("Memory limit"), initial=DEFAULTS["memory_limit"],
                                   help_text=_("For example 512Mi or 2Gi."))  # fmt: skip
    config_mount_path = forms.CharField(label=_("Config files mount path"), initial="/config")
    liveness_type = forms.ChoiceField(
        label=_("Liveness probe"), choices=PROBE_CHOICES, required=False
    )
    liveness_path = forms.CharField(label=_("Liveness path"), required=False, initial="/")
    liveness_port = forms.IntegerField(
        label=_("Liveness port"), required=False, min_value=1, max_value=65535
    )
    readiness_type = forms.ChoiceField(
        label=_("Readiness probe"), choices=PROBE_CHOICES, required=False
    )
    readiness_path = forms.CharField(label=_("Readiness path"), required=False, initial="/")
    readiness_port = forms.IntegerField(
        label=_("Readiness port"), required=False, min_value=1, max_value=65535
    )
    java_enabled = forms.BooleanField(
        label=_("Java preset (heap from the memory limit)"), required=False
    )
    java_heap_percent = forms.IntegerField(label=_("Java heap (percent of the memory limit)"), min_value=10,
                                           max_value=95, initial=75)  # fmt: skip
    stdout_logging = forms.BooleanField(
        label=_("Collect standard output"), required=False,
        help_text=_("Filebeat on each node ships the containers' standard output."),
    )  # fmt: skip
    log_files = forms.CharField(
        label=_("Log file patterns"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One a line, relative to the log directory, for example 'app.log' or "
                    "'*/*.log'. Filebeat collects the matching files."),
    )  # fmt: skip
    share_process_namespace = forms.BooleanField(
        label=_("Share the process namespace (reaps zombies)"), required=False, initial=True
    )
    storage_size = forms.CharField(label=_("Volume size (stateful)"), required=False, initial="1Gi")
    storage_mount_path = forms.CharField(
        label=_("Volume mount path (stateful)"), required=False, initial="/data"
    )
    message = forms.CharField(label=_("Change message"), required=False, max_length=300)

    def __init__(self, *args, clusters=(), editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        for i in range(1, CONFIG_SLOTS + 1):
            self.fields[f"config_{i}_name"] = forms.CharField(
                label=_("Config file name"), required=False
            )
            self.fields[f"config_{i}_content"] = forms.CharField(
                label=_("Content"),
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
        self.cluster_names = list(clusters)
        for name in self.cluster_names:
            self.fields[f"weight_{name}"] = forms.IntegerField(
                label=name, required=False, min_value=0, max_value=100,
                initial=1 if name == self.cluster_names[0] else 0,
            )  # fmt: skip
        if editing:
            for field in ("name", "kind", "replicas"):
                self.fields[field].disabled = True
                self.fields[field].required = False

    def config_slots(self):
        return [
            (self[f"config_{i}_name"], self[f"config_{i}_content"])
            for i in range(1, CONFIG_SLOTS + 1)
        ]

    def weight_fields(self):
        return [self[f"weight_{name}"] for name in self.cluster_names]

    # Field checks shared with the live (HTMX) validation.
    def clean_name(self):
        name = self.cleaned_data.get("name")
        if self.editing:
            return name
        for error in validate_app_name(name):
            raise forms.ValidationError(error)
        return name

    def clean_image(self):
        image = self.cleaned_data["image"].strip()
        for error in validate_image(image):
            raise forms.ValidationError(error)
        return image

    def clean_cpu_limit(self):
        value = self.cleaned_data["cpu_limit"].strip()
        for error in validate_cpu(value):
            raise forms.ValidationError(error)
        return value

    def clean_memory_limit(self):
        value = self.cleaned_data["memory_limit"].strip()
        for error in validate_memory(value):
            raise forms.ValidationError(error)
        return value

    def clean_ports(self):
        ports, errors = parse_ports(self.cleaned_data.get("ports", ""))
        if errors:
            raise forms.ValidationError(errors)
        return ports

    def clean_env(self):
        env, errors = parse_env(self.cleaned_data.get("env", ""))
        if errors:
            raise forms.ValidationError(errors)
        return env

    def clean_log_files(self):
        patterns = [line.strip() for line in self.cleaned_data.get("log_files", "").splitlines()]
        patterns = [p for p in patterns if p]
        errors = validate_log_files(patterns)
        if errors:
            raise forms.ValidationError(errors)
        return patterns

    def clean(self):
        data = super().clean()
        kind = data.get("kind") or self.initial.get("kind")
        if kind == AppKind.CRONJOB:
            for error in validate_cron(data.get("schedule", "")):
                self.add_error("schedule", error)
        return data

    def to_spec(self) -> dict:
        """The spec these fields describe (validated again, fully, by the service)."""
        d = self.cleaned_data
        kind = d.get("kind") or self.initial.get("kind")
        spec = {
            "kind": kind,
            "image": d["image"],
            "command": (d.get("command") or "").split(),
            "schedule": d.get("schedule", ""),
            "ports": d.get("ports") or [],
            "env": d.get("env") or [],
            "config_files": [
                {"name": d[f"config_{i}_name"].strip(), "content": d.get(f"config_{i}_content", "")}
                for i in range(1, CONFIG_SLOTS + 1)
                if d.get(f"config_{i}_name", "").strip()
            ],
            "config_mount_path": d.get("config_mount_path") or "/config",
            "cpu_limit": d["cpu_limit"],
            "memory_limit": d["memory_limit"],
            "java": {
                "enabled": bool(d.get("java_enabled")),
                "heap_percent": d.get("java_heap_percent") or 75,
            },
            "stdout_logging": bool(d.get("stdout_logging")),
            "log_files": d.get("log_files") or [],
            "share_process_namespace": bool(d.get("share_process_namespace")),
            "ingress": {"host": d["ingress_host"].strip(), "path": d.get("ingress_path") or "/"}
            if d.get("ingress_host", "").strip()
            else None,
        }
        for probe in ("liveness", "readiness"):
            kind_ = d.get(f"{probe}_type")
            spec[probe] = (
                {
                    "type": kind_,
                    "path": d.get(f"{probe}_path") or "/",
                    "port": d.get(f"{probe}_port"),
                }
                if kind_
                else None
            )
        if kind == AppKind.STATEFUL:
            spec["storage"] = {"size": d.get("storage_size") or "1Gi",
                               "mount_path": d.get("storage_mount_path") or "/data"}  # fmt: skip
        return spec

    def placement(self) -> list[dict]:
        return [
            {"cluster": name, "weight": self.cleaned_data.get(f"weight_{name}") or 0}
            for name in self.cluster_names
            if self.cleaned_data.get(f"weight_{name}")
        ]

    @classmethod
    def initial_from(cls, app) -> dict:
        spec = app.revision.spec
        initial = {
            "name": app.name, "kind": app.kind, "image": spec["image"], "replicas": app.replicas,
            "schedule": spec.get("schedule", ""), "command": " ".join(spec.get("command") or []),
            "ports": format_ports(spec.get("ports") or []),
            "env": "\n".join(f"{e['name']}={e.get('value', '')}" for e in spec.get("env") or []),
            "cpu_limit": spec["cpu_limit"], "memory_limit": spec["memory_limit"],
            "config_mount_path": spec.get("config_mount_path", "/config"),
            "java_enabled": spec["java"]["enabled"], "java_heap_percent": spec["java"]["heap_percent"],
            "stdout_logging": spec["stdout_logging"],
            "log_files": "\n".join(spec.get("log_files") or []),
            "share_process_namespace": spec["share_process_namespace"],
        }  # fmt: skip
        if spec.get("ingress"):
            initial["ingress_host"] = spec["ingress"]["host"]
            initial["ingress_path"] = spec["ingress"]["path"]
        for probe in ("liveness", "readiness"):
            if spec.get(probe):
                initial[f"{probe}_type"] = spec[probe]["type"]
                initial[f"{probe}_path"] = spec[probe].get("path", "/")
                initial[f"{probe}_port"] = spec[probe].get("port")
        if spec.get("storage"):
            initial["storage_size"] = spec["storage"]["size"]
            initial["storage_mount_path"] = spec["storage"]["mount_path"]
        for i, item in enumerate(spec.get("config_files") or [], start=1):
            if i > CONFIG_SLOTS:
                break
            initial[f"config_{i}_name"] = item["name"]
            initial[f"config_{i}_content"] = item["content"]
        for placement in app.placements.select_related("cluster"):
            initial[f"weight_{placement.cluster.name}"] = placement.weight
        return initial


class AppFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *AppKind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *AppStatus.choices]
    )


class ScaleForm(forms.Form):
    replicas = forms.IntegerField(label=_("Replicas"), min_value=0, max_value=100)


class CloneForm(forms.Form):
    name = forms.CharField(label=_("New name"), max_length=40)
    target_space = forms.CharField(label=_("Target space"), required=False)


class CanaryForm(forms.Form):
    image = forms.CharField(label=_("Canary image"), required=False)
    weight = forms.IntegerField(
        label=_("Traffic weight (%)"), min_value=0, max_value=100, initial=10
    )


class WeightForm(forms.Form):
    weight = forms.IntegerField(label=_("Traffic weight (%)"), min_value=0, max_value=100)


class RollbackForm(forms.Form):
    revision = forms.IntegerField(min_value=1)


class AdoptForm(forms.Form):
    deployment = forms.CharField(label=_("Deployment"), max_length=253)
    name = forms.CharField(label=_("App name"), max_length=40, required=False)
