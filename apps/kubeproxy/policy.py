"""What a person may ask a cluster through the proxy, decided per request in one place.

| request                                    | viewer | developer | admin | owner |
|--------------------------------------------|--------|-----------|-------|-------|
| discovery (/api, /apis, /version, openapi) | yes    | yes       | yes   | yes   |
| get / list / watch in the space's namespace| yes    | yes       | yes   | yes   |
| secrets (any verb)                         |        |           | yes   | yes   |
| pods/log                                   |        | yes       | yes   | yes   |
| pods/exec, pods/attach                     | K2_PROXY_EXEC_ROLES per environment  |
| create / update / patch / delete           | K2_PROXY_WRITE_ROLES per environment |
| anything cluster-scoped, other namespaces, port-forward, proxy | never            |

Platform admins count as owners. The namespace must be a space's on that cluster. Every
refusal names the rule, and is answered as a Kubernetes `Status` 403.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs

from django.conf import settings
from django.utils.translation import gettext as _

from apps.accounts.roles import is_platform_admin
from apps.clusters.models import Cluster
from apps.kubeproxy import cache
from apps.spaces.choices import SpaceRole, SpaceState
from apps.spaces.models import Membership, Space, SpaceCluster

READ_VERBS = frozenset({"get", "list", "watch"})
WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})
RANK: dict[str, int] = {
    SpaceRole.VIEWER: 1,
    SpaceRole.DEVELOPER: 2,
    SpaceRole.ADMIN: 3,
    SpaceRole.OWNER: 4,
}
DISCOVERY = re.compile(r"^/(api(/v1)?|apis(/[^/]+){0,2}|version)/?$")
NAMESPACED = re.compile(
    r"^/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"/namespaces/(?P<ns>[^/]+)(?:/(?P<resource>[^/]+)(?:/(?P<name>[^/]+)(?:/(?P<sub>[^/]+))?)?)?/?$"
)
METHOD_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


@dataclass(frozen=True)
class Request:
    """A Kubernetes API request as the authorizer sees it."""

    verb: str
    path: str
    namespace: str = ""
    resource: str = ""  # e.g. "pods", "deployments.apps", "pods/log"
    name: str = ""
    discovery: bool = False

    @property
    def base_resource(self) -> str:
        return self.resource.split("/")[0].split(".")[0]


def parse(method: str, path: str, query: str) -> Request:
    method = method.upper()
    params = parse_qs(query)
    if DISCOVERY.match(path) or path.startswith("/openapi/"):
        return Request("get" if method == "GET" else METHOD_VERBS.get(method, method.lower()),
                       path, discovery=method == "GET")  # fmt: skip
    match = NAMESPACED.match(path)
    if not match:
        verb = "get" if method == "GET" else METHOD_VERBS.get(method, method.lower())
        return Request(verb, path)  # cluster-scoped: refused below
    ns, resource, name, sub = (match["ns"], match["resource"] or "", match["name"] or "",
                               match["sub"] or "")  # fmt: skip
    if not resource:  # the namespace object itself
        resource, name = "namespaces", ns
    if match["group"]:
        resource = f"{resource}.{match['group']}"
    if sub:
        resource = f"{resource}/{sub}"
    if method == "GET":
        if sub in ("exec", "attach"):
            verb = "create"
        elif name:
            verb = "get"
        else:
            verb = "watch" if params.get("watch", ["0"])[0] in ("1", "true") else "list"
    elif method == "DELETE" and not name:
        verb = "deletecollection"
    else:
        verb = METHOD_VERBS.get(method, method.lower())
    return Request(verb, path, ns, resource, name)


@dataclass
class Decision:
    allowed: bool
    reason: str = ""
    rule: str = ""
    space: Space | None = None
    role: str = ""
    kind: str = "request"  # request / logs / exec / stream

    @classmethod
    def deny(cls, rule: str, reason: str, **kw) -> Decision:
        return cls(False, reason, rule, **kw)


def roles_by_environment(spec: str) -> dict[str, frozenset[str]]:
    """ "prod=owner,admin;*=owner,admin,developer" → {"prod": {...}, "*": {...}}."""
    table: dict[str, frozenset[str]] = {}
    for part in spec.split(";"):
        if "=" in part:
            env, roles = part.split("=", 1)
            table[env.strip()] = frozenset(r.strip() for r in roles.split(",") if r.strip())
    return table


def roles_for(spec: str, environment: str) -> frozenset[str]:
    table = roles_by_environment(spec)
    return table.get(environment, table.get("*", frozenset()))


def _role(user, space: Space) -> str:
    if is_platform_admin(user):
        return SpaceRole.OWNER
    membership = Membership.objects.filter(space=space, user=user).first()
    return membership.role if membership else ""


def _names(roles) -> str:
    return ", ".join(sorted(roles, key=lambda r: -RANK.get(r, 0))) or _("nobody")


def _space_role(user, cluster: Cluster, namespace: str, cached: bool) -> tuple[Space | None, str]:
    """The space of `namespace` on `cluster` and the user's role in it ("" for none)."""
    key = ("role", user.pk, cluster.pk, namespace)
    gen = cache.generation() if cached else -1
    hit = cache.get(key, gen)
    if hit is not None:
        return hit
    space = (
        Space.objects.filter(slug=namespace)
        .exclude(state=SpaceState.DELETED)
        .order_by("-id")
        .first()
    )
    role = ""
    if space is not None and SpaceCluster.objects.filter(space=space, cluster=cluster).exists():
        role = _role(user, space)
    cache.put(key, gen, (space, role))
    return space, role


def decide(user, cluster: Cluster, request: Request, *, cached: bool = False) -> Decision:
    """May `user` send `request` to `cluster` through the proxy? (Synchronous: reads the
    database; the proxy calls it in a thread. `cached`: a new request may use the few
    seconds' memory of cache.py; open streams re-checking never do.)"""
    if not cluster.enabled:
        return Decision.deny("cluster-disabled", _("Cluster %(cluster)s is disabled.")
                             % {"cluster": cluster.name})  # fmt: skip
    if request.discovery:
        return Decision(True, rule="discovery")
    if not request.namespace:
        return Decision.deny("cluster-scoped", _(
            "K2Cloud's proxy serves only your spaces' namespaces: %(verb)s %(path)s is "
            "cluster-scoped.") % {"verb": request.verb, "path": request.path})  # fmt: skip
    space, role = _space_role(user, cluster, request.namespace, cached)
    if space is None or not role:
        return Decision.deny("namespace", _(
            "Namespace %(ns)s on cluster %(cluster)s is not a space of yours.")
            % {"ns": request.namespace, "cluster": cluster.name})  # fmt: skip
    kw: dict = {"space": space, "role": role}
    rank = RANK.get(role, 0)
    base, sub = request.base_resource, request.resource.partition("/")[2]
    env = space.environment
    if base == "secrets" and rank < RANK[SpaceRole.ADMIN]:
        return Decision.deny("secrets", _(
            "Secrets of space %(space)s are readable by its admins and owners only (your "
            "role: %(role)s).") % {"space": space.slug, "role": role}, **kw)  # fmt: skip
    if base == "pods" and sub in ("exec", "attach"):
        allowed = roles_for(settings.K2_PROXY_EXEC_ROLES, env)
        if role not in allowed:
            return Decision.deny("exec", _(
                "Exec into pods of space %(space)s (%(env)s) is allowed for: %(roles)s; "
                "your role is %(role)s.") % {"space": space.slug, "env": env,
                                             "roles": _names(allowed), "role": role},
                **kw)  # fmt: skip
        return Decision(True, rule="exec", kind="exec", **kw)
    if sub and not (base == "pods" and sub == "log") and request.verb not in READ_VERBS:
        return Decision.deny("subresource", _("%(resource)s is not served by K2Cloud's proxy.")
                             % {"resource": request.resource}, **kw)  # fmt: skip
    if base == "pods" and sub in ("portforward", "proxy") or base == "services" and sub == "proxy":
        return Decision.deny("subresource", _("%(resource)s is not served by K2Cloud's proxy.")
                             % {"resource": request.resource}, **kw)  # fmt: skip
    if base == "pods" and sub == "log":
        if rank < RANK[SpaceRole.DEVELOPER]:
            return Decision.deny("logs", _(
                "Logs of space %(space)s are readable by developers and up (your role: "
                "%(role)s).") % {"space": space.slug, "role": role}, **kw)  # fmt: skip
        return Decision(True, rule="logs", kind="stream", **kw)
    if request.verb in READ_VERBS:
        return Decision(True, rule="read", kind="stream" if request.verb == "watch" else "request",
                        **kw)  # fmt: skip
    allowed = roles_for(settings.K2_PROXY_WRITE_ROLES, env)
    if role not in allowed:
        return Decision.deny("write", _(
            "%(verb)s %(resource)s through the proxy is not allowed in space %(space)s "
            "(%(env)s): change apps through K2Cloud. Allowed for: %(roles)s.")
            % {"verb": request.verb, "resource": request.resource, "space": space.slug,
               "env": env, "roles": _names(allowed)}, **kw)  # fmt: skip
    return Decision(True, rule="write", **kw)
