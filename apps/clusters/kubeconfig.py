"""Reading a kubeconfig into the credentials K2Cloud stores, refusing what is unsafe.

A kubeconfig may run commands (exec and auth-provider plugins) or read files (paths to
certificates, keys and token files). Uploaded to a web server, either would act on the
K2Cloud server itself, so both are refused: only inline data is accepted.
"""

import base64
import binascii
import hashlib
import json
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

import yaml
from django.utils.translation import gettext as _

FILE_REFERENCES = {
    "certificate-authority": "certificate-authority-data",
    "client-certificate": "client-certificate-data",
    "client-key": "client-key-data",
    "tokenFile": "token",
}


class KubeconfigError(ValueError):
    """The kubeconfig cannot be used; the message says why in words."""


@dataclass(frozen=True)
class Credentials:
    """How to reach one cluster: server, trust and identity (stored encrypted)."""

    server: str
    ca_data: str = ""  # PEM text
    token: str = ""
    client_cert_data: str = ""  # PEM text
    client_key_data: str = ""  # PEM text
    insecure_skip_tls_verify: bool = False
    tls_server_name: str = ""
    context: str = ""
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Credentials":
        data = json.loads(text)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def fingerprint(self) -> str:
        """Changes whenever anything that reaches the cluster changes (client cache key)."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]


def _decode_pem(value: str, what: str) -> str:
    try:
        text = base64.b64decode(str(value), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise KubeconfigError(
            _("The %(what)s in the kubeconfig is not valid base64 data.") % {"what": what}
        ) from exc
    if "-----BEGIN" not in text:
        raise KubeconfigError(
            _("The %(what)s in the kubeconfig is not a PEM certificate or key.") % {"what": what}
        )
    return text


def check_server_url(server: str) -> str:
    server = (server or "").strip().rstrip("/")
    parts = urlsplit(server)
    if parts.scheme != "https" or not parts.hostname:
        raise KubeconfigError(
            _("The API server address must be an https:// URL, not %(server)r.")
            % {"server": server}
        )
    return server


def _named(entries, kind: str) -> dict[str, dict]:
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise KubeconfigError(
            _("This file is not a kubeconfig: '%(kind)s' is not a list.") % {"kind": kind}
        )
    found = {}
    for entry in entries:
        if not isinstance(entry, dict) or "name" not in entry:
            raise KubeconfigError(
                _("This file is not a kubeconfig: an entry of '%(kind)s' has no name.")
                % {"kind": kind}
            )
        found[str(entry["name"])] = entry.get(kind[:-1]) or {}
    return found


def load_document(text: str | bytes) -> dict:
    if isinstance(text, bytes):
        try:
            text = text.decode()
        except UnicodeDecodeError as exc:
            raise KubeconfigError(_("This file is not a kubeconfig: it is not text.")) from exc
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KubeconfigError(_("This file is not a kubeconfig: it is not valid YAML.")) from exc
    if not isinstance(doc, dict) or not (doc.get("clusters") or doc.get("contexts")):
        raise KubeconfigError(
            _("This file is not a kubeconfig: it has no clusters and no contexts.")
        )
    if doc.get("kind") not in (None, "Config"):
        raise KubeconfigError(
            _("This file is not a kubeconfig: its kind is %(kind)r, not 'Config'.")
            % {"kind": doc.get("kind")}
        )
    return doc


def context_names(text: str | bytes) -> tuple[list[str], str]:
    """The contexts of a kubeconfig and its current context (for the portal's picker)."""
    doc = load_document(text)
    return list(_named(doc.get("contexts"), "contexts")), str(doc.get("current-context") or "")


def parse_kubeconfig(text: str | bytes, context: str | None = None) -> Credentials:
    """The credentials of one context; KubeconfigError naming the problem otherwise.

    1. Parse YAML and find the context (given, current, or the only one).
    2. Find its cluster and user entries.
    3. Refuse plugins and file references; decode inline data.
    """
    doc = load_document(text)
    contexts = _named(doc.get("contexts"), "contexts")
    clusters = _named(doc.get("clusters"), "clusters")
    users = _named(doc.get("users"), "users")
    if not context:
        context = str(doc.get("current-context") or "")
        if not context and len(contexts) == 1:
            context = next(iter(contexts))
    if not context:
        raise KubeconfigError(
            _("The kubeconfig has several contexts and no current one: pick one of %(names)s.")
            % {"names": ", ".join(sorted(contexts))}
        )
    if context not in contexts:
        raise KubeconfigError(
            _("The kubeconfig has no context named %(context)r (it has: %(names)s).")
            % {"context": context, "names": ", ".join(sorted(contexts)) or _("none")}
        )
    ctx = contexts[context]
    cluster_name, user_name = str(ctx.get("cluster") or ""), str(ctx.get("user") or "")
    if cluster_name not in clusters:
        raise KubeconfigError(
            _(
                "Context %(context)r refers to cluster %(cluster)r, which the kubeconfig does not define."
            )
            % {"context": context, "cluster": cluster_name}
        )
    if user_name not in users:
        raise KubeconfigError(
            _("Context %(context)r refers to user %(user)r, which the kubeconfig does not define.")
            % {"context": context, "user": user_name}
        )
    cluster, user = clusters[cluster_name], users[user_name]

    if "exec" in user:
        raise KubeconfigError(
            _("The kubeconfig user %(user)r uses an exec plugin, which would run a command on "
              "the K2Cloud server. Use a service-account token or client certificate instead.")
            % {"user": user_name}
        )  # fmt: skip
    if "auth-provider" in user:
        raise KubeconfigError(
            _("The kubeconfig user %(user)r uses an auth-provider plugin, which K2Cloud does not "
              "run. Use a service-account token or client certificate instead.")
            % {"user": user_name}
        )  # fmt: skip
    for key, inline in FILE_REFERENCES.items():
        if cluster.get(key) or user.get(key):
            raise KubeconfigError(
                _("The kubeconfig points at a local file (%(key)s), which K2Cloud will not read "
                  "on its server. Embed it as %(inline)s instead (kubectl config view --raw "
                  "--flatten does this).")
                % {"key": key, "inline": inline}
            )  # fmt: skip
    if user.get("username") or user.get("password"):
        raise KubeconfigError(
            _("The kubeconfig uses a username and password; use a token or client certificate.")
        )

    server = check_server_url(str(cluster.get("server") or ""))
    ca_data = (
        _decode_pem(cluster["certificate-authority-data"], _("certificate authority"))
        if cluster.get("certificate-authority-data")
        else ""
    )
    token = str(user.get("token") or "").strip()
    cert = (
        _decode_pem(user["client-certificate-data"], _("client certificate"))
        if user.get("client-certificate-data")
        else ""
    )
    key = (
        _decode_pem(user["client-key-data"], _("client key")) if user.get("client-key-data") else ""
    )
    if bool(cert) != bool(key):
        raise KubeconfigError(
            _(
                "The kubeconfig has a client certificate without its key (or a key without its certificate)."
            )
        )
    if not token and not cert:
        raise KubeconfigError(
            _("The kubeconfig user %(user)r has no credentials: it needs a token or a client "
              "certificate with its key.")
            % {"user": user_name}
        )  # fmt: skip
    return Credentials(
        server=server,
        ca_data=ca_data,
        token=token,
        client_cert_data=cert,
        client_key_data=key,
        insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=str(cluster.get("tls-server-name") or ""),
        context=context,
    )


def credentials_from_token(server: str, token: str, ca_data: str = "") -> Credentials:
    """Credentials given as an API server URL, a bearer token and a CA certificate (PEM)."""
    server = check_server_url(server)
    token = (token or "").strip()
    if not token:
        raise KubeconfigError(_("Give the bearer token K2Cloud should use for this cluster."))
    ca_data = (ca_data or "").strip()
    if ca_data and "-----BEGIN CERTIFICATE" not in ca_data:
        raise KubeconfigError(
            _("The CA certificate must be PEM text (-----BEGIN CERTIFICATE-----).")
        )
    return Credentials(server=server, token=token, ca_data=ca_data + "\n" if ca_data else "")
