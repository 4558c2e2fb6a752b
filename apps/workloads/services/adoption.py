"""Adopt an existing Deployment of the space's namespace into an App."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.audit.actors import Actor
from apps.clusters.cluster_ops import claim_deployment, read_deployment
from apps.clusters.gateway import GatewayError, Kind
from apps.workloads.adopt import spec_from_deployment
from apps.workloads.models import App
from apps.workloads.services._common import (
    _authorize,
    _check_space_writable,
    _space_clusters,
)
from apps.workloads.services.lifecycle import do_create_app


# --- adopt -------------------------------------------------------------------------------
def do_adopt_deployment(
    space,
    *,
    deployment: str,
    name: str | None = None,
    cluster_name: str | None = None,
    actor: Actor,
) -> App:
    """Import an existing Deployment of the space's namespace into an App.

    The Deployment's selector is kept (it cannot change), so the adopted Deployment is
    updated in place by the first apply rather than replaced.
    """
    _authorize(actor, "adopt", (("workloads.app", "", name or deployment)), space)
    _check_space_writable(space)
    clusters = _space_clusters(space)
    cluster = clusters.get(cluster_name or space.primary_cluster.name)
    if cluster is None:
        raise ValidationError({"cluster": [_("Not a cluster of this space.")]})
    if not isinstance(deployment, str) or not deployment:
        raise ValidationError({"deployment": [_("Name the Deployment to adopt.")]})
    try:
        obj = read_deployment(cluster, space.namespace, deployment)
    except GatewayError as exc:
        if exc.kind == Kind.NOT_FOUND:
            raise ValidationError(
                {"deployment": [_("There is no Deployment %(name)s in the namespace %(ns)s.")
                                % {"name": deployment, "ns": space.namespace}]}
            ) from exc  # fmt: skip
        raise ValidationError({"deployment": [exc.message]}) from exc
    labels = (obj.metadata.labels or {}) if obj.metadata else {}
    if labels.get("app.kubernetes.io/managed-by") == "k2cloud":
        raise ValidationError({"deployment": [_("This Deployment is already managed by K2Cloud.")]})
    spec, replicas = spec_from_deployment(obj)
    # Once the app is committed, the Deployment is labelled K2Cloud's, so the reconciler
    # takes it over (it never touches an object without K2's label). Registered before
    # do_create_app's own on-commit pass request, hence run before that pass is queued.
    labels = {"app.kubernetes.io/managed-by": "k2cloud", "k2cloud.io/space": space.slug,
              "k2cloud.io/app": name or deployment}  # fmt: skip
    with transaction.atomic():
        transaction.on_commit(
            lambda: claim_deployment(cluster, space.namespace, deployment, labels), robust=True
        )
        return do_create_app(
            space,
            name=name or deployment,
            spec=spec,
            replicas=replicas,
            placement=[{"cluster": cluster.name, "weight": 1}],
            message=_("Adopted from Deployment %(name)s") % {"name": deployment},
            actor=actor,
        )
