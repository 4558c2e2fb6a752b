"""Only apps/clusters/gateway.py builds Kubernetes clients, only apps/reconciler/kinds.py
server-side applies; K2Cloud never imports k2sim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ["apps", "k2cloud", "workers"]
KUBERNETES_IMPORT = re.compile(r"^\s*(from|import)\s+kubernetes\b", re.MULTILINE)
K2SIM_IMPORT = re.compile(r"^\s*(from|import)\s+k2sim\b", re.MULTILINE)


def _sources():
    for top in PRODUCT:
        yield from (ROOT / top).rglob("*.py")


def test_only_the_gateway_imports_the_kubernetes_client():
    offenders = [
        str(path.relative_to(ROOT))
        for path in _sources()
        if KUBERNETES_IMPORT.search(path.read_text()) and path != ROOT / "apps/clusters/gateway.py"
    ]
    assert offenders == [], (
        f"build Kubernetes clients through apps/clusters/gateway.py: {offenders}"
    )


def test_k2cloud_never_imports_k2sim():
    offenders = [str(p.relative_to(ROOT)) for p in _sources() if K2SIM_IMPORT.search(p.read_text())]
    assert offenders == []


SERVER_SIDE_APPLY = re.compile(r"apply-patch|field_manager")


def test_server_side_apply_lives_in_the_reconciler_alone():
    """One writer of desired state: every server-side apply (the reconciler's, and backup
    verification's dry run) goes through apps/reconciler/kinds.py."""
    offenders = [str(p.relative_to(ROOT)) for p in _sources()
                 if SERVER_SIDE_APPLY.search(p.read_text())]  # fmt: skip
    assert offenders == ["apps/reconciler/kinds.py"]
