"""An image that no cluster runs but an app revision names (an app that could be rolled
back to it) survives retention, however old its tag."""

from __future__ import annotations

from apps.audit.actors import Actor
from apps.registries.models import RegistryRun
from apps.workloads import services as workloads
from tests.registries import distribution
from tests.registries.conftest import add_registry, push_30, run_now
from tests.workloads.conftest import (  # noqa: F401  (fixtures)
    _fast_password_hashing,
    clusters,
    dev,
    make_space,
    service_spec,
    sim,
    space,
    viewer,
)


def test_an_app_revision_keeps_its_image(plain, space, dev, django_capture_on_commit_callbacks):  # noqa: F811
    push_30(plain.url)
    workloads.do_create_app(space, name="web", spec=service_spec(image=f"{plain.host}/team/api:build-5"),
                            actor=Actor.for_user(dev))  # fmt: skip
    registry = add_registry(plain.url)
    result = run_now(registry, django_capture_on_commit_callbacks)
    assert result["state"] == "succeeded", result["operation"].error
    preview = RegistryRun.objects.get(pk=result["operation"].result["preview"])
    decisions = {
        tuple(d["tags"]): d["keep"] for d in preview.report["repositories"][0]["decisions"]
    }
    assert decisions[("build-5",)] == ["revision"]
    assert "build-5" in distribution.tags(plain.url, "team/api")
    assert "build-6" not in distribution.tags(plain.url, "team/api")
