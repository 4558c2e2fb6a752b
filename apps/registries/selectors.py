from django.shortcuts import get_object_or_404

from apps.registries.models import Registry, RegistryRun


def get_registry_or_404(name: str) -> Registry:
    return get_object_or_404(Registry, name=name)


def runs_of(registry: Registry):
    return RegistryRun.objects.filter(registry=registry).select_related("registry")


def last_runs(limit: int = 20):
    return RegistryRun.objects.select_related("registry")[:limit]
