#!/usr/bin/env bash
# Real local clusters for K2Cloud where Docker and kind exist (not on the development
# machines, which use k2sim): test, prod and ml, each with its own API port.
set -euo pipefail
here="$(dirname "$0")"
for name in test prod ml; do
  kind create cluster --name "k2-$name" --config "$here/cluster-$name.yaml"
done
echo "register them: python manage.py register_cluster --kubeconfig ~/.kube/config --context kind-k2-test --name test --env test"
