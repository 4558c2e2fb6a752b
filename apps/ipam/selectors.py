"""Reads of IPAM cleanup for the portal and the API."""

from django.shortcuts import get_object_or_404

from apps.clusters.models import Cluster
from apps.ipam.models import IpamRun


def get_cluster_or_404(name: str) -> Cluster:
    return get_object_or_404(Cluster, name=name)


def runs_of(cluster: Cluster):
    return IpamRun.objects.filter(cluster=cluster).select_related("operation")


def last_scan(cluster: Cluster) -> IpamRun | None:
    """The newest run that read the cluster (its pools and blocks are what the page shows)."""
    return runs_of(cluster).exclude(state__in=["running", "skipped"]).first()
