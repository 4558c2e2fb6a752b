"""Deliver one notification to one sink: claimed once (a conditional UPDATE), retried with
backoff, then marked failed; every attempt counted on the delivery row people read."""

from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone

from apps.events import metrics
from apps.events.choices import DeliveryState
from apps.events.models import Delivery
from apps.events.sinks import SendError, backend


def deliver(delivery_id: int) -> str:
    claimed = Delivery.objects.filter(pk=delivery_id, state=DeliveryState.PENDING).update(
        state=DeliveryState.SENDING
    )
    if not claimed:
        return "skipped"  # sent, failed, or another worker has it
    row = Delivery.objects.select_related("sink", "notification").get(pk=delivery_id)
    sink = row.sink
    pause = settings.K2_EVENTS_SINK_BACKOFF
    error = ""
    for attempt in range(1, settings.K2_EVENTS_SINK_ATTEMPTS + 1):
        try:
            backend(sink.kind).send(sink.target, sink.secret, row.notification)
        except (SendError, Exception) as exc:  # noqa: BLE001 - any failure is a failed attempt
            error = str(exc)[:1000] or exc.__class__.__name__
            Delivery.objects.filter(pk=row.pk).update(attempts=attempt, error=error)
            if attempt < settings.K2_EVENTS_SINK_ATTEMPTS:
                time.sleep(pause)
                pause = min(pause * 2, 30)
            continue
        Delivery.objects.filter(pk=row.pk).update(state=DeliveryState.SENT, attempts=attempt,
                                                  sent_at=timezone.now(), error="")  # fmt: skip
        metrics.DELIVERIES.labels(sink.kind, "sent").inc()
        return "sent"
    Delivery.objects.filter(pk=row.pk).update(state=DeliveryState.FAILED, error=error)
    metrics.DELIVERIES.labels(sink.kind, "failed").inc()
    return "failed"
