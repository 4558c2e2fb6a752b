"""The apps tests' k2sim clusters, spaces and personas, for the stuck-app regressions."""

from tests.workloads.conftest import (  # noqa: F401
    _fast_password_hashing,
    clusters,
    dev,
    make_space,
    run,
    sim,
    space,
    viewer,
)
