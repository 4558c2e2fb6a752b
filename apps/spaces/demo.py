"""Demo spaces of `make run` (DEBUG only), made through the services as alice would:

- `shop-demo`: a test space with an app and a verified backup ("Back up now"), its expiry
  countdown and renew button on its page;
- `old-demo`: a test space that was deleted, so its page shows the before-delete backup
  with a Restore button.

Run by devstack in a thread once the workers are up; a space that exists (in any state)
is left alone, so restarts add nothing. Errors are logged: the demo still runs without.
"""

from __future__ import annotations

import logging
import time

from django.contrib.auth import get_user_model

from apps.audit.actors import Actor
from apps.backups.services import do_backup_space
from apps.clusters.models import Cluster
from apps.spaces.choices import SpaceState
from apps.spaces.models import Space
from apps.spaces.services import do_create_space, do_delete_space
from apps.workloads.services import do_create_app

log = logging.getLogger(__name__)
SPEC = {
    "kind": "service", "image": "harbor.k2.test/shop/web:1.0", "ports": [{"name": "http", "port": 80}],
    "cpu_limit": "200m", "memory_limit": "256Mi",
}  # fmt: skip


def _active(slug: str, timeout: float = 120) -> Space | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        space = Space.objects.filter(slug=slug).order_by("-id").first()
        if space is not None and space.state == SpaceState.ACTIVE:
            return space
        time.sleep(1)
    return None


def _space(slug: str, owner, cluster: str, description: str) -> Space | None:
    if Space.objects.filter(slug=slug).exists():
        return None  # made on an earlier start
    do_create_space(actor=Actor.for_user(owner), slug=slug, environment="test", cluster=cluster,
                    display_name=slug.replace("-", " ").title(), description=description)  # fmt: skip
    space = _active(slug)
    if space is not None:
        do_create_app(space, name="web", spec=SPEC, actor=Actor.for_user(owner))
    return space


def seed_demo_spaces() -> None:
    owner = get_user_model().objects.filter(username="alice").first()
    cluster = Cluster.objects.filter(environment="test", enabled=True).order_by("name").first()
    if owner is None or cluster is None:
        return
    try:
        shop = _space("shop-demo", owner, cluster.name, "The demo shop: an app and a backup.")
        if shop is not None:
            time.sleep(5)  # the app's objects exist before the backup lists them
            do_backup_space(shop, actor=Actor.for_user(owner))
        old = _space("old-demo", owner, cluster.name, "Deleted after a backup: restore it.")
        if old is not None:
            time.sleep(5)
            do_delete_space(old, actor=Actor.for_user(owner))
    except Exception:  # the demo runs without its sample spaces
        log.exception("the demo spaces could not be made")
