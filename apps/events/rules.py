"""Pure: does a rule match an event row (blank fields match anything)."""

from __future__ import annotations


def matches(rule, event, *, environment: str = "") -> bool:
    if rule.type and rule.type != event.type:
        return False
    if rule.reason and rule.reason != event.reason:
        return False
    if rule.kind and rule.kind != event.kind:
        return False
    if rule.cluster_id and rule.cluster_id != event.cluster_id:
        return False
    if rule.space_id and rule.space_id != event.space_id:
        return False
    if rule.app_id and rule.app_id != event.app_id:
        return False
    return not (rule.environment and rule.environment != environment)
