"""Enums that are shown as badges carry their colour with their value and label."""

import pytest

from apps.analytics.choices import ForwardState
from apps.approvals.choices import RequestState, Verdict
from apps.audit.choices import Outcome
from apps.clusters.choices import ClusterState
from apps.core.choices import ColourChoices
from apps.reconciler.choices import DriftChange, PassStatus
from apps.spaces.choices import ClusterStatus, SpaceRole, SpaceState
from apps.workloads.choices import AppKind, ApplyStatus, AppStatus

BADGE_COLOURS = {"secondary", "green", "red", "orange", "yellow", "azure", "blue", "purple",
                 "teal", "cyan"}  # fmt: skip
ENUMS = [ForwardState, RequestState, Verdict, Outcome, ClusterState, DriftChange, PassStatus,
         ClusterStatus, SpaceRole, SpaceState, AppKind, AppStatus, ApplyStatus]  # fmt: skip


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_every_member_has_a_badge_colour_and_keeps_its_value_and_label(enum):
    assert issubclass(enum, ColourChoices)
    for member in enum:
        assert member.colour in BADGE_COLOURS
        assert enum(member.value) is member and str(member) == member.value
        assert dict(enum.choices)[member.value] == member.label


def test_colours_people_know():
    assert SpaceState.ACTIVE.colour == "green" and SpaceState("failed").colour == "red"
    assert ClusterState.CORDONED.colour == "orange" and Verdict.REJECT.colour == "red"
    assert AppStatus.DEPLOYING.label == "Deploying" and AppStatus.DEPLOYING.colour == "azure"
