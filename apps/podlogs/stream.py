"""The API's logs: the same reading as the portal's websocket (apps/podlogs/tail.py into a
bounded LineQueue), as text/plain lines for a script, one log line per line. Lines of
several containers carry a `[pod/container] ` prefix; what K2Cloud adds (drops, notices,
the end) are lines starting with `# k2cloud: `."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

from django.conf import settings

from apps.podlogs.buffer import DROPPED, END, LINE, NOTICE, SOURCE, LineQueue
from apps.podlogs.options import LogOptions
from apps.podlogs.tail import Tail

MARK = "# k2cloud: "


def text_lines(clusters: list, namespace: str, app_name: str,
               options: LogOptions) -> Iterator[str]:  # fmt: skip
    """The log as lines (each ending in a newline). The reading runs on an event loop of
    its own thread (the caller may be a worker thread, or a thread that already has a
    loop); what waits for a slow script is capped by the queue's bound, beyond which lines
    are dropped with a notice like in the portal. Closing the iterator (the client went
    away) stops every stream."""
    from apps.podlogs.consumers import dropped_message  # the same words as the portal

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="podlogs-api", daemon=True)
    thread.start()

    async def start():
        queue = LineQueue(settings.K2_LOGS_QUEUE_LINES, settings.K2_LOGS_QUEUE_BYTES)
        tail = Tail(clusters, namespace, app_name, options, queue)
        return queue, asyncio.ensure_future(tail.run())

    def on_loop(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    queue, task = on_loop(start())
    prefixed = not (options.pod and options.container)
    labels: dict[int, str] = {}
    try:
        while True:
            for item in on_loop(queue.batch(500)):
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

        async def stop():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

        with contextlib.suppress(Exception):
            on_loop(stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
