"""``k2sim serve`` runs the clusters until SIGTERM/SIGINT; ``k2sim fault`` changes fault
injection on a running cluster through the admin endpoint."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import ssl
import sys
import urllib.request
from pathlib import Path


def _serve(args: argparse.Namespace) -> int:
    from .sim import Simulator

    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    names = [n.strip() for n in args.clusters.split(",") if n.strip()]
    sim = Simulator(
        names,
        args.state_dir,
        nodes=args.nodes,
        port_base=args.port_base,
        pod_ready_delay=args.pod_ready_delay,
        ip_leak_rate=args.ip_leak_rate,
        snapshot=not args.no_snapshot,
        exec_enabled=not args.no_exec,
        log_interval=args.log_interval,
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await sim.start()
        except OSError as exc:
            print(
                f"k2sim: cannot start: {exc} (is another k2sim running? try --port-base 0)",
                file=sys.stderr,
            )
            await sim.stop()
            raise SystemExit(1) from exc
        print(sim.ready_line(), flush=True)
        await stop.wait()
        await sim.stop()
        print("k2sim stopped", flush=True)

    asyncio.run(main())
    return 0


def _fault(args: argparse.Namespace) -> int:
    state = Path(args.state_dir)
    try:
        admin = json.loads((state / "admin.json").read_text())
        token = json.loads((state / args.cluster / "tokens.json").read_text())["admin"]
    except (OSError, ValueError, KeyError) as exc:
        print(f"k2sim fault: no running k2sim state in {state}: {exc}", file=sys.stderr)
        return 2
    url = f"{admin['url']}/clusters/{args.cluster}/faults"
    if args.clear:
        method, body = "DELETE", None
    elif (
        args.latency_ms is None and args.error_rate is None and not args.refuse and not args.accept
    ):
        method, body = "GET", None
    else:
        data: dict[str, object] = {}
        if args.latency_ms is not None:
            data["latency_ms"] = args.latency_ms
        if args.error_rate is not None:
            data["error_rate"] = args.error_rate
        if args.refuse:
            data["refuse_connections"] = True
        if args.accept:
            data["refuse_connections"] = False
        method, body = "PUT", json.dumps(data).encode()
    req = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - https to localhost
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Content-Type", "application/json")
    ctx = ssl.create_default_context(cafile=str(state / "ca.crt"))
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:  # noqa: S310
            print(f"{args.cluster}: {resp.read().decode()}")
    except OSError as exc:
        print(f"k2sim fault: {exc}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="k2sim", description="Kubernetes API emulator (local dev/test only)"
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="serve virtual clusters on 127.0.0.1")
    s.add_argument("--clusters", default="test,prod", help="comma-separated cluster names")
    s.add_argument("--state-dir", default="var/k2sim")
    s.add_argument("--nodes", type=int, default=3)
    s.add_argument("--port-base", type=int, default=16443, help="first HTTPS port (0 = any free)")
    s.add_argument("--pod-ready-delay", type=float, default=0.5)
    s.add_argument("--ip-leak-rate", type=float, default=0.0)
    s.add_argument("--log-interval", type=float, default=1.0)
    s.add_argument("--no-snapshot", action="store_true", help="do not save/restore objects")
    s.add_argument(
        "--no-exec", action="store_true", help="refuse pods/exec (it runs real local processes)"
    )
    s.set_defaults(func=_serve)
    f = sub.add_parser("fault", help="inject or clear faults on a running cluster")
    f.add_argument("--cluster", required=True)
    f.add_argument("--state-dir", default="var/k2sim")
    f.add_argument("--latency-ms", type=int)
    f.add_argument("--error-rate", type=float)
    f.add_argument("--refuse", action="store_true", help="refuse connections")
    f.add_argument("--accept", action="store_true", help="accept connections again")
    f.add_argument("--clear", action="store_true", help="remove all faults")
    f.set_defaults(func=_fault)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
