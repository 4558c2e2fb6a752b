"""End to end through daphne and k2sim, as a browser's websocket client speaks to it:
`echo $((6*7))` prints 42, resize changes `stty size`, and `exit 3` reports exit status 3
and ends the session."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import aiohttp
import pytest

from apps.terminal.models import TerminalSession
from tests.terminal.conftest import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


async def _session(url: str, path: str, cookie: str) -> dict:
    seen = {"output": b"", "closed": None}
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(
            url.replace("http://", "ws://") + path,
            headers={"Origin": url, "Cookie": f"sessionid={cookie}"},
        ) as ws,
    ):

        async def until(needle: bytes):
            while needle not in seen["output"]:
                msg = await asyncio.wait_for(ws.receive(), 20)
                if msg.type == aiohttp.WSMsgType.BINARY:
                    seen["output"] += msg.data
                    await ws.send_str(json.dumps({"type": "ack", "bytes": len(msg.data)}))
                elif msg.type == aiohttp.WSMsgType.TEXT:
                    data = json.loads(msg.data)
                    if data["type"] == "closed":
                        seen["closed"] = data
                        return
                else:
                    return

        await ws.send_bytes(b"echo $((6*7))\r")
        await until(b"42\r\n")
        await ws.send_bytes(b"stty size\r")
        await until(b"24 80")
        await ws.send_str(json.dumps({"type": "resize", "cols": 120, "rows": 33}))
        await ws.send_bytes(b"stty size\r")
        await until(b"33 120")
        await ws.send_bytes(b"exit 3\r")
        await until(b"\x00never")  # runs until the closed message
        seen["close_code"] = ws.close_code if ws.closed else (await ws.receive()).data
    return seen


def test_a_terminal_through_daphne_and_k2sim(target, dev, daphne_url):
    path = (f"/ws/terminal/{target['space'].slug}/web/?cluster=wl-test&pod=web-0&container=web"
            "&shell=sh&cols=80&rows=24")  # fmt: skip
    cookie = session_cookie(dev)
    with ThreadPoolExecutor(1) as pool:  # a loop of its own (see test_consumer.run)
        seen = pool.submit(asyncio.run, _session(daphne_url, path, cookie)).result()
    assert b"42\r\n" in seen["output"] and b"33 120" in seen["output"]
    assert seen["closed"]["reason"] == "exit" and seen["closed"]["exit_code"] == 3
    assert seen["close_code"] == 1000
    session = TerminalSession.objects.get()
    assert session.exit_code == 3 and session.recording_key
    assert list(session.commands.values_list("text", flat=True)) == [
        "echo $((6*7))",
        "stty size",
        "stty size",
        "exit 3",
    ]
