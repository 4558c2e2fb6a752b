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


# Aliases make YAML a compression format ("billion laughs"): a few hundred bytes of nested
# anchors expand to gigabytes once anything walks the tree. The document is refused when
# its expanded tree would have more nodes than a real kubeconfig ever does.
MAX_EXPANDED_NODES = 20_000
MAX_SHOWN_CHARS = 80  # a user-supplied name is cut to this length in messages


class KubeconfigError(ValueError):
    """The kubeconfig cannot be used; the message says why in words."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses documents whose aliases expand past MAX_EXPANDED_NODES."""

    def compose_document(self):
        node = super().compose_document()
        _check_expanded_size(node)
        return node


def _check_expanded_size(root) -> None:
    """Count the nodes of the tree as it would be once aliases are expanded.

    Aliased nodes are the same Python object, so a memo by id makes this linear in the
    document's size, not in its expansion.
    """
    sizes: dict[int, int] = {}
    # Iterative post-order walk: a deeply nested document must not hit the recursion limit.
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = (
            [child for pair in node.value for child in pair]
            if isinstance(node, yaml.MappingNode)
            else list(node.value)
        )
        if children_done:
            total = 1 + sum(sizes.get(id(child), 0) for child in children)
            if total > MAX_EXPANDED_NODES:
                raise KubeconfigError(
                    _("This file is not a kubeconfig: its YAML aliases expand to more than "
                      "%(limit)d values.") % {"limit": MAX_EXPANDED_NODES}
                )  # fmt: skip
            sizes[id(node)] = total
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)


def _shown(value: str) -> str:
    """A user-supplied string as messages may show it (with %r): cut to a few words."""
    text = str(value)
    return text[:MAX_SHOWN_CHARS] + "…" if len(text) > MAX_SHOWN_CHARS else text


def _names(entries: dict) -> str:
    """The first few names of a kubeconfig list, for a message."""
    names = sorted(entries)
    shown = ", ".join(_shown(name) for name in names[:10])
    return shown + (", …" if len(names) > 10 else "")


def _string(value, field_name: str) -> str:
    """A scalar of the kubeconfig as text; any list or mapping in its place is refused.

    The message names the field and the type it needs, never the value: a structure put
    where a name belongs is not echoed back.
    """
    if value is None:
        return ""
    if isinstance(value, str | int | float | bool):
        return str(value)
    raise KubeconfigError(
        _("This file is not a kubeconfig: '%(field)s' must be a text value, not a list or a "
          "mapping.") % {"field": field_name}
    )  # fmt: skip


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
        text = base64.b64decode(_string(value, what), validate=True).decode()
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
    server = _string(server, "server").strip().rstrip("/")
    try:
        parts = urlsplit(server)
        usable = parts.scheme == "https" and bool(parts.hostname)
    except ValueError:  # e.g. an invalid IPv6 literal
        usable = False
    if not usable:
        raise KubeconfigError(
            _("The API server address must be an https:// URL, not %(server)r.")
            % {"server": _shown(server)}
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
        body = entry.get(kind[:-1]) or {}
        if not isinstance(body, dict):
            raise KubeconfigError(
                _("This file is not a kubeconfig: '%(field)s' must be a mapping.")
                % {"field": f"{kind}[].{kind[:-1]}"}
            )
        found[_string(entry["name"], f"{kind}[].name")] = body
    return found


def load_document(text: str | bytes) -> dict:
    if isinstance(text, bytes):
        try:
            text = text.decode()
        except UnicodeDecodeError as exc:
            raise KubeconfigError(_("This file is not a kubeconfig: it is not text.")) from exc
    try:
        doc = yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 (a SafeLoader subclass)
    except (yaml.YAMLError, RecursionError) as exc:
        raise KubeconfigError(_("This file is not a kubeconfig: it is not valid YAML.")) from exc
    if not isinstance(doc, dict) or not (doc.get("clusters") or doc.get("contexts")):
        raise KubeconfigError(
            _("This file is not a kubeconfig: it has no clusters and no contexts.")
        )
    kind = _string(doc.get("kind"), "kind")
    if kind not in ("", "Config"):
        raise KubeconfigError(
            _("This file is not a kubeconfig: its kind is %(kind)r, not 'Config'.")
            % {"kind": _shown(kind)}
        )
    return doc


def context_names(text: str | bytes) -> tuple[list[str], str]:
    """The contexts of a kubeconfig and its current context (for the portal's picker)."""
    doc = load_document(text)
    current = _string(doc.get("current-context"), "current-context")
    return list(_named(doc.get("contexts"), "contexts")), current


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
        context = _string(doc.get("current-context"), "current-context")
        if not context and len(contexts) == 1:
            context = next(iter(contexts))
    if not context:
        raise KubeconfigError(
            _("The kubeconfig has several contexts and no current one: pick one of %(names)s.")
            % {"names": _names(contexts)}
        )
    if context not in contexts:
        raise KubeconfigError(
            _("The kubeconfig has no context named %(context)r (it has: %(names)s).")
            % {"context": _shown(context), "names": _names(contexts) or _("none")}
        )
    ctx = contexts[context]
    cluster_name = _string(ctx.get("cluster"), "contexts[].context.cluster")
    user_name = _string(ctx.get("user"), "contexts[].context.user")
    if cluster_name not in clusters:
        raise KubeconfigError(
            _(
                "Context %(context)r refers to cluster %(cluster)r, which the kubeconfig does not define."
            )
            % {"context": _shown(context), "cluster": _shown(cluster_name)}
        )
    if user_name not in users:
        raise KubeconfigError(
            _("Context %(context)r refers to user %(user)r, which the kubeconfig does not define.")
            % {"context": _shown(context), "user": _shown(user_name)}
        )
    cluster, user = clusters[cluster_name], users[user_name]

    if "exec" in user:
        raise KubeconfigError(
            _("The kubeconfig user %(user)r uses an exec plugin, which would run a command on "
              "the K2Cloud server. Use a service-account token or client certificate instead.")
            % {"user": _shown(user_name)}
        )  # fmt: skip
    if "auth-provider" in user:
        raise KubeconfigError(
            _("The kubeconfig user %(user)r uses an auth-provider plugin, which K2Cloud does not "
              "run. Use a service-account token or client certificate instead.")
            % {"user": _shown(user_name)}
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

    server = check_server_url(cluster.get("server"))
    ca_data = (
        _decode_pem(cluster["certificate-authority-data"], _("certificate authority"))
        if cluster.get("certificate-authority-data")
        else ""
    )
    token = _string(user.get("token"), "users[].user.token").strip()
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
            % {"user": _shown(user_name)}
        )  # fmt: skip
    return Credentials(
        server=server,
        ca_data=ca_data,
        token=token,
        client_cert_data=cert,
        client_key_data=key,
        insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=_string(
            cluster.get("tls-server-name"), "clusters[].cluster.tls-server-name"
        ),
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
