"""``k2sim serve`` as a process: ready line, kubeconfig, fault command, clean SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import yaml

from .conftest import KUBECTL


def test_serve_fault_and_sigterm(tmp_path):
    state = tmp_path / "state"
    cmd = [
        sys.executable,
        "-m",
        "k2sim.cli",
        "serve",
        "--clusters",
        "test,prod",
        "--state-dir",
        str(state),
        "--port-base",
        "0",
        "--nodes",
        "2",
    ]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        startup = time.monotonic() - t0
        assert line.startswith("k2sim ready: test=https://127.0.0.1:"), line
        assert startup < 5, startup
        kc = state / "kubeconfig"
        assert f"kubeconfig={kc}" in line
        cfg = yaml.safe_load(kc.read_text())
        assert {c["name"] for c in cfg["contexts"]} == {"test", "prod"}
        env = dict(os.environ, KUBECONFIG=str(kc), HOME=str(tmp_path))
        out = subprocess.run(
            [KUBECTL, "--context", "prod", "get", "nodes", "-o", "name"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.stdout.split() == ["node/prod-node-1", "node/prod-node-2"], out.stderr
        fault = [
            sys.executable,
            "-m",
            "k2sim.cli",
            "fault",
            "--state-dir",
            str(state),
            "--cluster",
            "prod",
        ]
        r = subprocess.run(
            [*fault, "--latency-ms", "200", "--error-rate", "0.0"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert r.returncode == 0 and '"latency_ms": 200' in r.stdout, r.stderr
        t = time.monotonic()
        subprocess.run(
            [KUBECTL, "--context", "prod", "get", "--raw", "/api/v1/namespaces"],
            env=env,
            capture_output=True,
            timeout=30,
            check=True,
        )
        assert time.monotonic() - t >= 0.2
        r = subprocess.run([*fault, "--refuse"], capture_output=True, text=True, timeout=30)
        assert '"refuse_connections": true' in r.stdout
        bad = subprocess.run(
            [KUBECTL, "--context", "prod", "get", "ns", "--request-timeout=3s"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert bad.returncode != 0 and "refused" in bad.stderr
        r = subprocess.run([*fault, "--clear"], capture_output=True, text=True, timeout=30)
        assert '"refuse_connections": false' in r.stdout and '"latency_ms": 0' in r.stdout
        ok = subprocess.run(
            [KUBECTL, "--context", "prod", "get", "ns"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert ok.returncode == 0 and "default" in ok.stdout
        subprocess.run(
            [KUBECTL, "--context", "test", "create", "-f", "-"],
            env=env,
            input=yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "kept", "namespace": "default"},
                }
            ),
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(15)
    assert rc == 0
    assert (state / "test" / "snapshot.json").exists()
    # restart restores the objects (snapshot is on by default for serve)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("k2sim ready:")  # type: ignore[union-attr]
        env = dict(os.environ, KUBECONFIG=str(state / "test" / "kubeconfig"), HOME=str(tmp_path))
        out = subprocess.run(
            [KUBECTL, "get", "cm", "kept", "-o", "name"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.stdout.strip() == "configmap/kept", out.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
