"""Just enough of the Kubernetes protobuf encoding to accept what kubectl's typed create
commands send for the common kinds (``kubectl create namespace|configmap|secret|
serviceaccount|deployment|service|job|cronjob``, ``kubectl expose``, ``kubectl auth can-i``),
common fields only (field numbers from k8s.io/api's generated.proto). Bodies of other kinds
get 415 with a hint to send JSON/YAML; responses are always JSON.

Wire format: the magic ``k8s\\x00`` then a runtime.Unknown {1: TypeMeta{1: apiVersion,
2: kind}, 2: raw object message, 3: contentEncoding, 4: contentType}.
"""

from __future__ import annotations

import base64
from typing import Any

from . import errors

MAGIC = b"k8s\x00"

# message -> field number -> (json name, type). Types: str, bytes, int, bool,
# "m:<Message>", "map", "mapb" (map<string,bytes>), "rs" (repeated string), "rm:<Message>".
SCHEMAS: dict[str, dict[int, tuple[str, str]]] = {
    "ObjectMeta": {
        1: ("name", "str"),
        2: ("generateName", "str"),
        3: ("namespace", "str"),
        5: ("uid", "str"),
        6: ("resourceVersion", "str"),
        7: ("generation", "int"),
        11: ("labels", "map"),
        12: ("annotations", "map"),
        14: ("finalizers", "rs"),
    },
    "Namespace": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:NamespaceSpec")},
    "NamespaceSpec": {1: ("finalizers", "rs")},
    "ConfigMap": {
        1: ("metadata", "m:ObjectMeta"),
        2: ("data", "map"),
        3: ("binaryData", "mapb"),
        4: ("immutable", "bool"),
    },
    "Secret": {
        1: ("metadata", "m:ObjectMeta"),
        2: ("data", "mapb"),
        3: ("type", "str"),
        4: ("stringData", "map"),
        5: ("immutable", "bool"),
    },
    "LabelSelector": {
        1: ("matchLabels", "map"),
        2: ("matchExpressions", "rm:LabelSelectorRequirement"),
    },
    "LabelSelectorRequirement": {1: ("key", "str"), 2: ("operator", "str"), 3: ("values", "rs")},
    "Deployment": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:DeploymentSpec")},
    "DeploymentSpec": {
        1: ("replicas", "int"),
        2: ("selector", "m:LabelSelector"),
        3: ("template", "m:PodTemplateSpec"),
        4: ("strategy", "m:DeploymentStrategy"),
        5: ("minReadySeconds", "int"),
        6: ("revisionHistoryLimit", "int"),
        7: ("paused", "bool"),
        9: ("progressDeadlineSeconds", "int"),
    },
    "DeploymentStrategy": {1: ("type", "str"), 2: ("rollingUpdate", "m:RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: ("maxUnavailable", "intstr"), 2: ("maxSurge", "intstr")},
    "PodTemplateSpec": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:PodSpec")},
    "PodSpec": {
        2: ("containers", "rm:Container"),
        3: ("restartPolicy", "str"),
        4: ("terminationGracePeriodSeconds", "int"),
        6: ("dnsPolicy", "str"),
        7: ("nodeSelector", "map"),
        8: ("serviceAccountName", "str"),
    },
    "Container": {
        1: ("name", "str"),
        2: ("image", "str"),
        3: ("command", "rs"),
        4: ("args", "rs"),
        5: ("workingDir", "str"),
        6: ("ports", "rm:ContainerPort"),
        7: ("env", "rm:EnvVar"),
        8: ("resources", "m:ResourceRequirements"),
        13: ("terminationMessagePath", "str"),
        14: ("imagePullPolicy", "str"),
        16: ("stdin", "bool"),
        18: ("tty", "bool"),
        20: ("terminationMessagePolicy", "str"),
    },
    "ContainerPort": {
        1: ("name", "str"),
        2: ("hostPort", "int"),
        3: ("containerPort", "int"),
        4: ("protocol", "str"),
    },
    "EnvVar": {1: ("name", "str"), 2: ("value", "str")},
    "ResourceRequirements": {1: ("limits", "mapq"), 2: ("requests", "mapq")},
    "SelfSubjectAccessReview": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:SSARSpec")},
    "SSARSpec": {
        1: ("resourceAttributes", "m:ResourceAttributes"),
        2: ("nonResourceAttributes", "m:NonResourceAttributes"),
    },
    "ResourceAttributes": {
        1: ("namespace", "str"),
        2: ("verb", "str"),
        3: ("group", "str"),
        4: ("version", "str"),
        5: ("resource", "str"),
        6: ("subresource", "str"),
        7: ("name", "str"),
    },
    "NonResourceAttributes": {1: ("path", "str"), 2: ("verb", "str")},
    "Service": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:ServiceSpec")},
    "ServiceSpec": {
        1: ("ports", "rm:ServicePort"),
        2: ("selector", "map"),
        3: ("clusterIP", "str"),
        4: ("type", "str"),
        7: ("sessionAffinity", "str"),
    },
    "ServicePort": {
        1: ("name", "str"),
        2: ("protocol", "str"),
        3: ("port", "int"),
        4: ("targetPort", "intstr"),
        5: ("nodePort", "int"),
    },
    "Job": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:JobSpec")},
    "JobSpec": {
        1: ("parallelism", "int"),
        2: ("completions", "int"),
        3: ("activeDeadlineSeconds", "int"),
        4: ("selector", "m:LabelSelector"),
        5: ("manualSelector", "bool"),
        6: ("template", "m:PodTemplateSpec"),
        7: ("backoffLimit", "int"),
        8: ("ttlSecondsAfterFinished", "int"),
        9: ("completionMode", "str"),
        10: ("suspend", "bool"),
    },
    "CronJob": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:CronJobSpec")},
    "CronJobSpec": {
        1: ("schedule", "str"),
        2: ("startingDeadlineSeconds", "int"),
        3: ("concurrencyPolicy", "str"),
        4: ("suspend", "bool"),
        5: ("jobTemplate", "m:JobTemplateSpec"),
        6: ("successfulJobsHistoryLimit", "int"),
        7: ("failedJobsHistoryLimit", "int"),
        8: ("timeZone", "str"),
    },
    "JobTemplateSpec": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:JobSpec")},
    "ServiceAccount": {
        1: ("metadata", "m:ObjectMeta"),
        4: ("automountServiceAccountToken", "bool"),
    },
}
KEEP_ZERO = {"replicas"}  # pointer fields where an explicit 0 matters
SUPPORTED = {("v1", k) for k in ("Namespace", "ConfigMap", "Secret", "ServiceAccount", "Service")}
SUPPORTED |= {("apps/v1", "Deployment"), ("authorization.k8s.io/v1", "SelfSubjectAccessReview")}
SUPPORTED |= {("batch/v1", "Job"), ("batch/v1", "CronJob")}


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    out: list[tuple[int, int | bytes]] = []
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, i = _varint(buf, i)
            out.append((num, val))
        elif wire == 2:
            n, i = _varint(buf, i)
            out.append((num, buf[i : i + n]))
            i += n
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return out


def _message(buf: bytes, name: str) -> dict[str, Any]:
    schema = SCHEMAS[name]
    obj: dict[str, Any] = {}
    for num, val in fields(buf):
        if num not in schema:
            continue
        key, typ = schema[num]
        if typ == "str":
            obj[key] = bytes(val).decode()  # type: ignore[arg-type]
        elif typ == "int":
            obj[key] = val
        elif typ == "bool":
            obj[key] = bool(val)
        elif typ == "intstr":
            f = dict(fields(val))  # type: ignore[arg-type]
            obj[key] = bytes(f.get(3, b"")).decode() if f.get(1) == 1 else f.get(2, 0)  # type: ignore[arg-type]
        elif typ.startswith("rm:"):
            obj.setdefault(key, []).append(_message(val, typ[3:]))  # type: ignore[arg-type]
        elif typ == "mapq":
            entry = dict(fields(val))  # type: ignore[arg-type]
            q = dict(fields(entry.get(2, b"")))  # type: ignore[arg-type]
            obj.setdefault(key, {})[bytes(entry.get(1, b"")).decode()] = bytes(
                q.get(1, b"")
            ).decode()  # type: ignore[arg-type]
        elif typ == "rs":
            obj.setdefault(key, []).append(bytes(val).decode())  # type: ignore[arg-type]
        elif typ in ("map", "mapb"):
            entry = dict(fields(val))  # type: ignore[arg-type]
            k = bytes(entry.get(1, b"")).decode()  # type: ignore[arg-type]
            v = bytes(entry.get(2, b""))  # type: ignore[arg-type]
            obj.setdefault(key, {})[k] = (
                base64.b64encode(v).decode() if typ == "mapb" else v.decode()
            )
        elif typ.startswith("m:"):
            obj[key] = _message(val, typ[2:])  # type: ignore[arg-type]
    # Go's generated marshallers write zero values of non-pointer fields; JSON omits them.
    return {k: v for k, v in obj.items() if v not in ("", 0, False) or k in KEEP_ZERO}


def decode(body: bytes) -> dict[str, Any]:
    """Decode a protobuf request body into the JSON-shaped object, or raise 415."""
    if not body.startswith(MAGIC):
        raise errors.unsupported_media("protobuf body without the k8s magic prefix")
    try:
        unknown = dict(fields(body[len(MAGIC) :]))
        tm = dict(fields(unknown.get(1, b"")))  # type: ignore[arg-type]
        api_version = bytes(tm.get(1, b"")).decode()  # type: ignore[arg-type]
        kind = bytes(tm.get(2, b"")).decode()  # type: ignore[arg-type]
        if (api_version, kind) not in SUPPORTED:
            raise errors.unsupported_media(
                f"k2sim decodes protobuf only for {sorted(k for _, k in SUPPORTED)}, not "
                f"{api_version}/{kind}; send JSON or YAML (e.g. kubectl apply -f / create -f)"
            )
        obj = _message(unknown.get(2, b""), kind)  # type: ignore[arg-type]
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.bad_request(f"error decoding protobuf body: {exc}") from exc
    obj["apiVersion"], obj["kind"] = api_version, kind
    return obj
