"""The spaces tests' k2sim clusters and registered cluster, for the stuck-space regressions."""

from tests.spaces.conftest import _fresh_gateway, sim, test_cluster, workflows  # noqa: F401
