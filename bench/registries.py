"""Registry retention at scale: 200 repositories × 60 tags on a real Distribution 2.8
registry (Debian's docker-registry, started here on a free port), 500 images in use as
pods across three k2sim clusters, one retention decision over all of it.

Figures: bench/README.md. Measures, with K2Cloud's own code (`decide_registry`, the gateway, the backend):

* the in-use lookup: the paged LISTs of pods and workload kinds of every cluster over
  HTTPS, and the parsing into the in-use set (seconds, objects read);
* the whole dry-run decision: listing catalog, tags, manifests and image configs through
  the distribution API (seconds, API calls to the registry), deciding every artifact, and
  storing the report; and that each of the 500 running images is kept;
* the pure decision alone (`policy.decide` over the listed artifacts), for comparison.

Usage (PostgreSQL and Redis from the test stack):

    .venv/bin/python tools/test_stack.py -- .venv/bin/python bench/registries.py [--quick]

`--repos N --tags N --in-use N` change the shape; `--quick` is 20 / 60 / 50.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support import setup_django  # noqa: E402
from k2sim.testing import running_clusters  # noqa: E402

CLUSTERS = ("bench-reg-a", "bench-reg-b", "bench-reg-c")


def push_all(url: str, repos: int, tags: int) -> None:
    from tests.registries import distribution

    now = datetime.now(UTC)

    def one(r: int) -> None:
        for t in range(tags):
            created = (now - timedelta(days=tags - t, minutes=r)).strftime("%Y-%m-%dT%H:%M:%SZ")
            distribution.push_image(url, f"team{r % 10}/app-{r}", f"build-{t}", created=created,
                                    layer_bytes=512)  # fmt: skip

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(repos)))


def load_pods(h, images: list[str]) -> None:
    def create() -> None:
        api = h.cluster.api
        api.create(api.res("", "namespaces"), "", {"metadata": {"name": "bench"}})
        pods = api.res("", "pods")
        for i, image in enumerate(images):
            api.create(pods, "bench", {"metadata": {"name": f"p-{i}", "namespace": "bench"},
                                       "spec": {"containers": [{"name": "main", "image": image}]}})  # fmt: skip

    h.call(create)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--tags", type=int, default=60)
    parser.add_argument("--in-use", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="20 repositories, 60 tags, 50 in use")
    args = parser.parse_args()
    if args.quick:
        args.repos, args.tags, args.in_use = 20, 60, 50
    with tempfile.TemporaryDirectory(prefix="k2-registries-bench-") as tmp:
        redis_server = setup_django(Path(tmp))
        from tests.registries import distribution

        registry = distribution.start(Path(tmp) / "registry")
        try:
            with running_clusters(CLUSTERS, state_dir=Path(tmp) / "k2sim", nodes=3, pod_ready_delay=0,
                                  log_interval=60, install_calico=False) as sim:  # fmt: skip
                run(sim, registry, args)
        finally:
            registry.process.kill()
            if redis_server:
                redis_server.stop()


def run(sim, registry, args) -> None:
    from django.conf import settings
    from django.utils import timezone

    from apps.audit.actors import Actor
    from apps.registries import inuse, services
    from apps.registries.backends import backend_for
    from apps.registries.policy import decide, policy_for
    from tests.helpers import register

    settings.K2_REGISTRY_ALLOWED_HOSTS = ["127.0.0.1"]
    t0 = time.perf_counter()
    push_all(registry.url, args.repos, args.tags)
    print(
        f"pushed {args.repos} repositories × {args.tags} tags in {time.perf_counter() - t0:.1f} s"
    )
    # The in-use images: old tags (build-0..), spread over the repositories and clusters.
    images = [f"{registry.host}/team{i % args.repos % 10}/app-{i % args.repos}:build-{i // args.repos}"
              for i in range(args.in_use)]  # fmt: skip
    for n, name in enumerate(CLUSTERS):
        load_pods(sim[name], images[n :: len(CLUSTERS)])
        register(sim[name], ready=True)

    started = time.perf_counter()
    collected = inuse.collect()
    in_use = inuse.in_use_for(collected, {registry.host})
    lookup_s = time.perf_counter() - started
    named = sum(len(t) for t in in_use.tags.values())
    print(f"in-use lookup:  {lookup_s:7.2f} s  {collected.calls:6d} objects read from {len(CLUSTERS)} "
          f"clusters, {named} tags in use")  # fmt: skip

    row = services.do_register_registry(actor=Actor.system("bench"), name="bench", kind="distribution",
                                        url=registry.url, mode="dry-run")  # fmt: skip
    started = time.perf_counter()
    run = services.decide_registry(row, actor=Actor.system("bench"))
    whole_s = time.perf_counter() - started
    counts = run.counts
    running_kept = sum(
        1 for r in run.report["repositories"] for d in r["decisions"] if "running" in d["keep"]
    )
    print(f"whole decision: {whole_s:7.2f} s  {run.report['api_calls']:6d} registry API calls  "
          f"{counts['artifacts']} artifacts: {counts['kept']} kept ({counts['running']} running), "
          f"{counts['delete']} to delete; every in-use image kept: {running_kept == args.in_use}")  # fmt: skip

    backend = backend_for(row)
    listed = {name: backend.artifacts(name) for name in backend.repositories()}
    now = timezone.now()
    started = time.perf_counter()
    for name, artifacts in listed.items():
        decide(name, artifacts, policy_for(services.base_policy(), {}, name), in_use, now)
    pure_s = time.perf_counter() - started
    print(f"pure decide:    {pure_s:7.3f} s  over {sum(len(a) for a in listed.values())} artifacts")


if __name__ == "__main__":
    main()
