"""Validation of space input, before anything is written or sent to a cluster.

Each function returns the cleaned value or raises ValidationError naming the field and
the reason in words.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from apps.clusters.choices import PRODUCTION_ENVIRONMENTS, Environment, Health
from apps.clusters.models import Cluster
from apps.clusters.placement import choose_cluster, skip_reason
from apps.spaces.choices import LIVE_STATES
from apps.spaces.models import DNS1123_LABEL, Space
from apps.spaces.quota import Quota, policy_of

# Names a space may not take: Kubernetes' own namespaces and K2's words in URLs.
RESERVED_NAMES = frozenset({"default", "new", "create", "api", "k2cloud", "ingress-nginx"})
RESERVED_PREFIXES = ("kube-", "k2-", "k2cloud-", "calico-", "tigera-")


def clean_slug(slug: str) -> str:
    """A valid, free space name (the namespace's name), or ValidationError naming why."""
    slug = (slug or "").strip()
    if not slug:
        raise ValidationError({"slug": [_("Give the space a name.")]})
    if len(slug) > 63:
        raise ValidationError({"slug": [_("A space name has at most 63 characters.")]})
    if not re.match(DNS1123_LABEL, slug):
        raise ValidationError(
            {
                "slug": [
                    _(
                        "'%(name)s' is not a valid name: use lower-case letters, digits and "
                        "'-', starting and ending with a letter or digit."
                    )
                    % {"name": slug}
                ]
            }
        )
    if slug in RESERVED_NAMES or slug.startswith(RESERVED_PREFIXES):
        raise ValidationError(
            {"slug": [_("'%(name)s' is reserved; choose another name.") % {"name": slug}]}
        )
    if Space.objects.filter(slug=slug, state__in=LIVE_STATES).exists():
        raise ValidationError(
            {"slug": [_("The name '%(name)s' is taken; choose another one.") % {"name": slug}]}
        )
    return slug


def clean_clusters(environment: str, cluster, extra_clusters, quota: Quota | None):
    """(primary, extras): the named clusters checked against the environment, or placement."""

    def load(value, field):
        if isinstance(value, Cluster):
            return value
        found = Cluster.objects.filter(name=str(value)).first()
        if found is None:
            raise ValidationError(
                {field: [_("There is no cluster named '%(name)s'.") % {"name": value}]}
            )
        return found

    def check(candidate, field):
        if candidate.environment != environment:
            raise ValidationError(
                {
                    field: [
                        _(
                            "Cluster %(cluster)s is a %(cluster_env)s cluster; a %(env)s space "
                            "needs a %(env)s cluster."
                        )
                        % {
                            "cluster": candidate.name,
                            "cluster_env": Environment(candidate.environment).label,
                            "env": Environment(environment).label,
                        }
                    ]
                }
            )
        if not candidate.enabled or candidate.cordoned or candidate.health == Health.UNREACHABLE:
            raise ValidationError(
                {
                    field: [
                        _("Cluster %(cluster)s takes no new spaces: %(why)s.")
                        % {"cluster": candidate.name, "why": skip_reason(candidate)}
                    ]
                }
            )

    if cluster:
        primary = load(cluster, "cluster")
        check(primary, "cluster")
    else:
        placement = choose_cluster(
            environment,
            cpu=quota.cpu if quota else None,
            memory=quota.memory if quota else None,
        )
        if placement.cluster is None:
            raise ValidationError({"cluster": [placement.reason]})
        primary = placement.cluster
    extras = []
    for value in extra_clusters or []:
        extra = load(value, "extra_clusters")
        check(extra, "extra_clusters")
        if extra.pk == primary.pk or extra in extras:
            continue
        extras.append(extra)
    return primary, extras


def clean_text(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationError({field: [_("At most %(n)d characters, please.") % {"n": limit}]})
    return value


def expiry_for(cluster, now):
    if cluster.environment in PRODUCTION_ENVIRONMENTS:
        return None
    days = policy_of(cluster).get("default_lifetime_days") or (
        settings.K2_SPACES_DEFAULT_LIFETIME_DAYS
    )
    return now + timedelta(days=int(days))
