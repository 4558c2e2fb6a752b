"""k2sim is a development and test tool: never in the K2Cloud package or image."""

import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]


def test_the_package_holds_k2cloud_and_not_k2sim():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = find_packages(str(ROOT), include=include)
    assert "apps.workloads" in packages and "k2cloud" in packages and "workers" in packages
    assert not [p for p in packages if p.split(".")[0] in {"k2sim", "tests", "bench"}]
    assert "k2sim" not in str(config["project"].get("scripts", {}))


def test_the_image_leaves_k2sim_and_the_tests_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"k2sim", "tests", ".venv", "var"} <= set(ignored)
    copies = [line for line in (ROOT / "deploy/Dockerfile").read_text().splitlines()
              if line.startswith("COPY")]  # fmt: skip
    assert not [line for line in copies if "k2sim" in line]
