"""The API's logs: the same reading as the portal's websocket (apps/podlogs/tail.py into a
bounded LineQueue), as text/plain lines for a script, one log line per line. Lines of
several containers carry a `[pod/container] ` prefix; what K2Cloud adds (drops, notices,
the end) are lines starting with `# k2cloud: `."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from django.conf import settings

from apps.podlogs.buffer import DROPPED, END, LINE, NOTICE, SOURCE, LineQueue
from apps.podlogs.options import LogOptions
from apps.podlogs.tail import Tail

MARK = "# k2cloud: "


def text_lines(clusters: list, namespace: str, app_name: str,
               options: LogOptions) -> Iterator[str]:  # fmt: skip
    """The log as lines (each ending in a newline). A private event loop runs the reading
    between two lines only, so a slow script pushes back on the clusters' streams and the
    queue's bound caps what waits here; closing the iterator (the client went away) stops
    every stream."""
    loop = asyncio.new_event_loop()
    queue = LineQueue(settings.K2_LOGS_QUEUE_LINES, settings.K2_LOGS_QUEUE_BYTES)
    tail = Tail(clusters, namespace, app_name, options, queue)
    task = loop.create_task(tail.run())
    prefixed = not (options.pod and options.container)
    labels: dict[int, str] = {}
    from apps.podlogs.consumers import dropped_message  # the same words as the portal

    try:
        while True:
            for item in loop.run_until_complete(queue.batch(500)):
                kind = item[0]
                if kind == LINE:
                    yield (labels.get(item[1], "") if prefixed else "") + item[2] + "\n"
                elif kind == SOURCE:
                    labels[item[1].id] = f"[{item[1].label}] "
                elif kind == DROPPED:
                    yield MARK + dropped_message(item[1]) + "\n"
                elif kind == NOTICE:
                    yield MARK + item[1] + "\n"
                elif kind == END:
                    if item[1] != "done":
                        yield MARK + item[2] + "\n"
                    return
    finally:
        task.cancel()
        with contextlib.suppress(Exception):
            loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
