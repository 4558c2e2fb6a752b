"""The pure planner: what is applied, what is pruned, and the guards."""

from apps.reconciler.planner import MISSING, MODIFIED, OUTDATED, Desired, compare, plan


def obj(kind, ns, name, *, managed=True, app="web", hash_="h1", spec=None):
    labels = {"k2cloud.io/app": app} if app else {}
    if managed:
        labels["app.kubernetes.io/managed-by"] = "k2cloud"
    return {
        "kind": kind,
        "metadata": {"name": name, "namespace": ns, "labels": labels,
                     "annotations": {"k2cloud.io/spec-hash": hash_}},
        "spec": spec or {"replicas": 2, "template": {"containers": [{"name": "c", "image": "a:1",
                                                                   "resources": {"limits": {"cpu": "0.5"}}}]}},
    }  # fmt: skip


def key(o):
    return (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"])


def test_compare_detects_edits_and_ignores_server_defaults():
    want = obj("Deployment", "s", "web")
    have = obj("Deployment", "s", "web")
    have["status"] = {"readyReplicas": 2}
    have["spec"]["template"]["containers"][0]["terminationMessagePath"] = "/dev/x"
    have["spec"]["template"]["containers"][0]["resources"]["limits"]["cpu"] = "500m"
    assert compare(want, have) == ("", "")
    have["spec"]["replicas"] = 5
    assert compare(want, have) == (MODIFIED, "spec.replicas")
    assert compare(want, None)[0] == MISSING
    assert compare(want, obj("Deployment", "s", "web", hash_="h2"))[0] == OUTDATED


def _plan(desired, observed, **kw):
    kw.setdefault("listed_kinds", {"Deployment", "Service", "ConfigMap", "Namespace"})
    kw.setdefault("desired_complete", True)
    kw.setdefault("prunable_namespaces", {"s"})
    return plan({key(d): Desired(d) for d in desired}, {key(o): o for o in observed}, **kw)


def test_orphans_pruned_unmanaged_and_foreign_namespaces_never():
    keep = [obj("Deployment", "s", f"a{i}", app=f"a{i}") for i in range(4)]
    orphan = obj("Deployment", "s", "gone", app="gone")
    unmanaged = obj("Deployment", "s", "mine", managed=False)
    foreign = obj("Deployment", "elsewhere", "exported")
    ns = {"kind": "Namespace", "metadata": {"name": "old", "namespace": "",
          "labels": {"app.kubernetes.io/managed-by": "k2cloud"}}}  # fmt: skip
    result = _plan(keep, [*keep, orphan, unmanaged, foreign, ns])
    assert result.prune == [key(orphan)]
    assert result.unchanged == 4 and not result.apply


def test_hands_off_owners_are_left_alone():
    orphan = obj("Deployment", "s", "gone", app="gone")
    keep = [obj("Deployment", "s", f"a{i}", app=f"a{i}") for i in range(4)]
    assert _plan(keep, [*keep, orphan], hands_off={("s", "gone")}).prune == []
    assert _plan(keep, [*keep, orphan], hands_off_namespaces={"s"}).prune == []


def test_share_guard_and_incomplete_data_stop_pruning():
    observed = [obj("Deployment", "s", f"a{i}", app=f"a{i}") for i in range(10)]
    result = _plan(observed[:2], observed)
    assert result.prune == [] and result.prune_blocked == "share" and len(result.orphans) == 8
    result = _plan(observed[:9], observed, desired_complete=False)
    assert result.prune == [] and result.prune_blocked == "desired"
    result = _plan(observed[:9], observed, lists_complete=False)
    assert result.prune == [] and result.prune_blocked == "list"
    assert _plan(observed[:9], observed).prune == [key(observed[9])]


def test_kinds_whose_list_failed_are_neither_applied_nor_pruned():
    desired = [obj("Deployment", "s", "web")]
    result = _plan(desired, [], listed_kinds={"Service"})
    assert result.apply == [] and result.checked == 0
