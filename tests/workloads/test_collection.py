"""The generated log collection, pure: golden inputs per mode, every input checked against
the options Filebeat documents, every manifest against the Kubernetes schemas, and the
checks themselves catching a typo."""

import os
from pathlib import Path

import pytest
import yaml

from apps.workloads.rendering.collection import (
    AppLogs,
    ClusterLogs,
    clean_output,
    inputs_data,
    render_collection,
)
from tests.filebeat_reference import documented_options, input_errors
from tests.kube_openapi import validation_errors

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("K2_UPDATE_GOLDEN") == "1"
FILES = AppLogs(namespace="shop", space="shop", app="orders", team="alice", container="orders",
                stdout=False, patterns=("app.log", "gc/*.log"))  # fmt: skip
STDOUT = AppLogs(namespace="shop", space="shop", app="web", team="alice", container="web",
                 stdout=True)  # fmt: skip


def logs(*apps, output=None) -> ClusterLogs:
    return ClusterLogs(cluster="prod-1", environment="prod", namespace="k2-system",
                       image="docker.elastic.co/beats/filebeat:8.15.3",
                       output=output or {"type": "elasticsearch", "hosts": ["es-1:9200"]},
                       apps=apps)  # fmt: skip


@pytest.mark.parametrize(("mode", "app"), [("files", FILES), ("stdout", STDOUT)])
def test_golden_inputs_per_mode(mode, app):
    (text,) = inputs_data(logs(app)).values()
    path = GOLDEN / f"log-inputs-{mode}.yaml"
    if UPDATE:
        path.write_text(text)
    assert text == path.read_text(), f"inputs changed: K2_UPDATE_GOLDEN=1 to accept ({path})"


OUTPUTS = [
    {"type": "elasticsearch", "hosts": ["es-1:9200"], "index": "k2-{environment}-%{+yyyy.MM.dd}"},
    {"type": "logstash", "hosts": ["ls-1:5044"]},
    {"type": "kafka", "hosts": ["kafka-1:9092"], "topic": "k2-logs"},
]


@pytest.mark.parametrize("output", OUTPUTS, ids=lambda o: o["type"])
def test_every_input_is_documented_and_every_manifest_valid(output):
    both = AppLogs(**{**FILES.__dict__, "app": "both", "stdout": True})
    manifests = render_collection(logs(FILES, STDOUT, both, output=output))
    for manifest in manifests:
        assert validation_errors(manifest) == [], manifest["kind"]
    inputs = next(m for m in manifests if m["metadata"]["name"] == "k2-filebeat-inputs")
    assert set(inputs["data"]) == {"shop.orders.yml", "shop.web.yml", "shop.both.yml"}
    for text in inputs["data"].values():
        for item in yaml.safe_load(text):
            assert input_errors(item) == [], item
    config = next(m for m in manifests if m["metadata"]["name"] == "k2-filebeat-config")
    main = yaml.safe_load(config["data"]["filebeat.yml"])
    assert main["filebeat.config.inputs"]["reload.enabled"] is True
    assert f"output.{output['type']}" in main


def test_the_checks_catch_typos():
    options = documented_options()
    assert options["log"]["paths"] == "list" and options["filestream"]["enabled"] == "bool"
    assert options["log"]["fields"] == "mapping" and options["log"]["multiline.negate"] == "bool"
    assert input_errors({"type": "log", "path": ["/x"]}) == ["path: not an option of the log input"]
    assert input_errors({"type": "log", "symlinks": "yes"}) == ["symlinks: expected bool, got str"]
    assert input_errors({"type": "log", "multiline": {"match": "after"}}) == []
    daemonset = render_collection(logs())[-1]
    daemonset["spec"]["template"]["spec"]["containers"][0]["volumeMount"] = []
    assert validation_errors(daemonset)


def test_output_is_checked_naming_the_field():
    assert clean_output({}) == ({}, {})
    _out, errors = clean_output({"type": "splunk", "hosts": [], "idx": "x"})
    assert set(errors) == {"log_output", "log_output.type", "log_output.hosts"}
