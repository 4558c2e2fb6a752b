"""Route name → feature people recognise ("spaces.create", "apps.scale", "approvals.decide").

A registry in the style of AWX's analytics collectors: each app's routes are mapped by a
table or by a rule function registered with @feature_rule. An unmapped route falls back to
"<namespace>.<name>" so that nothing goes uncounted, and a later feature registers its own:

    register_features({"terminal:open": "terminal.open"})

    @feature_rule("workloads:action")
    def _app_action(match, method):
        return f"apps.{match.kwargs['verb']}"
"""

import re
from collections.abc import Callable

Rule = Callable[[object, str], str | None]

# (view_name, METHOD) or (view_name, None) → feature.
_TABLE: dict[tuple[str, str | None], str] = {}
_RULES: dict[str, Rule] = {}
_FEATURE_PATTERN = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")


def register_features(mapping: dict[str, str]) -> None:
    """Map view names ("spaces:create", or "api:space-list POST" for one method) to features."""
    for key, feature in mapping.items():
        view_name, _, method = key.partition(" ")
        if not _FEATURE_PATTERN.match(feature):
            raise ValueError(f"feature {feature!r} must look like 'spaces.create'")
        _TABLE[(view_name, method.upper() or None)] = feature


def feature_rule(view_name: str):
    """Register a function (match, method) -> feature | None for one view name."""

    def decorator(func: Rule) -> Rule:
        _RULES[view_name] = func
        return func

    return decorator


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "other"


def _fallback(view_name: str) -> str:
    """api:space-renew → spaces.renew; clusters:detail → clusters.detail."""
    namespace, _, name = view_name.rpartition(":")
    if namespace.endswith("api") and "-" in name:
        noun, _, verb = name.partition("-")
        return f"{_slug(noun)}s.{_slug(verb)}"
    return f"{_slug(namespace.split(':')[-1] or 'site')}.{_slug(name)}"


def resolve_feature(match, method: str) -> str:
    """The feature of a resolved URL (a django.urls.ResolverMatch) and HTTP method."""
    view_name = match.view_name
    rule = _RULES.get(view_name)
    if rule is not None:
        feature = rule(match, method)
        if feature:
            return feature
    return _TABLE.get((view_name, method)) or _TABLE.get((view_name, None)) or _fallback(view_name)


def known_features() -> list[str]:
    return sorted(set(_TABLE.values()))


# --- the platform's own routes -------------------------------------------------------------
register_features(
    {
        "core:home": "home",
        "accounts:login": "auth.sign_in",
        "accounts:logout": "auth.sign_out",
        "accounts:tokens": "account.tokens",
        "accounts:revoke-token": "account.tokens",
        "api:me": "account.profile",
        "api:token-list": "account.tokens",
        "api:token-detail": "account.tokens",
        # spaces
        "spaces:list": "spaces.browse",
        "spaces:create": "spaces.create",
        "spaces:detail": "spaces.view",
        "spaces:usage": "spaces.view",
        "spaces:add-member": "spaces.members",
        "spaces:change-member": "spaces.members",
        "spaces:remove-member": "spaces.members",
        "spaces:quota": "spaces.quota",
        "spaces:renew": "spaces.renew",
        "spaces:retry": "spaces.retry",
        "spaces:delete": "spaces.delete",
        "spaces:transfer": "spaces.transfer",
        "api:space-list GET": "spaces.browse",
        "api:space-list POST": "spaces.create",
        "api:space-detail GET": "spaces.view",
        "api:space-detail PATCH": "spaces.edit",
        "api:space-detail DELETE": "spaces.delete",
        "api:space-usage": "spaces.view",
        "api:space-timeline": "spaces.view",
        "api:space-permissions": "spaces.view",
        "api:space-requests": "spaces.view",
        "api:space-members": "spaces.members",
        "api:space-member": "spaces.members",
        # apps
        "workloads:list": "apps.browse",
        "workloads:space": "apps.browse",
        "workloads:create": "apps.create",
        "workloads:validate": "apps.create",
        "workloads:adopt": "apps.adopt",
        "workloads:detail": "apps.view",
        "workloads:status": "apps.view",
        "workloads:edit": "apps.edit",
        "workloads:export": "apps.export",
        "api:app-list GET": "apps.browse",
        "api:app-list POST": "apps.create",
        "api:app-adopt": "apps.adopt",
        "api:app-detail GET": "apps.view",
        "api:app-detail PATCH": "apps.edit",
        "api:app-detail DELETE": "apps.delete",
        "api:app-status": "apps.view",
        "api:app-revisions": "apps.revisions",
        "api:app-revision": "apps.revisions",
        "api:app-diff": "apps.revisions",
        "api:app-canary": "apps.canary",
        "api:app-canary-weight": "apps.canary",
        "api:app-canary-promote": "apps.canary_promote",
        "api:app-canary-abort": "apps.canary",
        # approvals
        "approvals:inbox": "approvals.inbox",
        "approvals:detail": "approvals.inbox",
        "approvals:decide": "approvals.decide",
        "approvals:cancel": "approvals.cancel",
        "approvals:workflows": "approvals.workflows",
        "approvals:workflow-edit": "approvals.workflows",
        "approvals:notifications-read": "approvals.inbox",
        "api:approval-request-list GET": "approvals.inbox",
        "api:approval-request-list POST": "approvals.submit",
        "api:approval-request-detail": "approvals.inbox",
        "api:approval-request-decide": "approvals.decide",
        "api:approval-request-cancel": "approvals.cancel",
        "api:approval-definition-list": "approvals.workflows",
        "api:approval-definition-detail": "approvals.workflows",
        # clusters
        "clusters:list": "clusters.browse",
        "clusters:detail": "clusters.view",
        "clusters:state": "clusters.view",
        "clusters:register": "clusters.register",
        "clusters:contexts": "clusters.register",
        "clusters:edit": "clusters.manage",
        "clusters:policy": "clusters.policy",
        "clusters:environments": "clusters.policy",
        "clusters:environment": "clusters.policy",
        "clusters:switch": "clusters.manage",
        "api:cluster-list GET": "clusters.browse",
        "api:cluster-list POST": "clusters.register",
        "api:cluster-detail GET": "clusters.view",
        "api:cluster-detail": "clusters.manage",
        "api:cluster-environment-list": "clusters.policy",
        "api:cluster-environment-detail": "clusters.policy",
        # audit and analytics
        "audit:list": "audit.view",
        "audit:detail": "audit.view",
        "audit:export": "audit.export",
        "api:audit-event-list": "audit.view",
        "api:audit-event-detail": "audit.view",
        "analytics:dashboard": "analytics.dashboard",
        "api-docs": "api.docs",
        "api-schema": "api.docs",
    }
)


@feature_rule("workloads:action")
def _app_action(match, method: str) -> str | None:
    """The portal's one action endpoint: /apps/<space>/<app>/do/<verb>/ → apps.<verb>."""
    verb = match.kwargs.get("verb")
    return f"apps.{_slug(verb)}" if verb else None


def _api_analytics(match, method: str) -> str:
    return "analytics.api"


for _name in ("summary", "features", "users", "spaces", "approvals", "lifecycle", "apps", "events"):
    _RULES[f"api:analytics-{_name}"] = _api_analytics
