"""The k2ctl commands. Errors print in words (never a traceback) and exit like kubectl's:
1 for a failed request, 2 for bad usage, kubectl's own status for what it ran."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import click
from click.shell_completion import get_completion_class

from k2ctl import client, config, kube
from k2ctl.client import K2ctlError
from k2ctl.i18n import t

OUTPUT = click.Choice(["table", "json", "yaml"])


def _session() -> dict:
    data = config.load()
    if not data.get("token") or not data.get("url"):
        raise K2ctlError(t("Not logged in: run `k2ctl login --url URL` first."))
    return data


def _api(method: str, path: str, body: dict | None = None):
    data = _session()
    return client.call(data["url"], data["token"], method, path, body,
                       insecure=bool(data.get("insecure")), ca_file=data.get("ca_file"))  # fmt: skip


def _dump(value, output: str) -> None:
    if output == "yaml":
        try:
            import yaml

            click.echo(yaml.safe_dump(value, sort_keys=False, allow_unicode=True), nl=False)
            return
        except ImportError:
            pass
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _table(headers: list[str], rows: list[list[str]]) -> None:
    """Columns like kubectl's: left-aligned, three spaces apart."""
    headers = [t(h) for h in headers]
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        click.echo("   ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _split_target(value: str) -> tuple[str, str]:
    space, sep, app = value.partition("/")
    if not sep or not space or not app:
        raise click.BadParameter(t("Write SPACE/APP, e.g. shop/web."))
    return space, app


class _Kube:
    """A temporary kubeconfig for one space (removed afterwards)."""

    def __init__(self, space_slug: str, cluster: str | None = None):
        data = _session()
        self.space = _api("GET", f"spaces/{space_slug}/")
        self.cluster = kube.pick_cluster(self.space, cluster)
        text, _context = kube.kubeconfig_text(data["url"], data["token"], self.space,
                                              self.cluster, insecure=bool(data.get("insecure")), ca_file=data.get("ca_file"))  # fmt: skip
        fd, name = tempfile.mkstemp(prefix="k2ctl-", suffix=".yaml")
        os.close(fd)
        self.path = Path(name)
        config.write_private(self.path, text)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.path.unlink(missing_ok=True)

    def run(self, args: list[str]) -> int:
        return kube.run(self.path, args)

    def first_pod(self, app: str) -> str:
        out = kube.run(self.path, ["get", "pods", "-l", f"{kube.APP_LABEL}={app}",
                                   "--field-selector=status.phase=Running", "-o", "json"],
                       capture=True)  # fmt: skip
        if out.returncode != 0:
            raise K2ctlError(out.stderr.strip() or out.stdout.strip(), out.returncode)
        items = json.loads(out.stdout or "{}").get("items") or []
        if not items:
            raise K2ctlError(t("No running pod of app {app} in space {space}.", app=app,
                               space=self.space["slug"]))  # fmt: skip
        return sorted(i["metadata"]["name"] for i in items)[0]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """K2Cloud's permissions in front of kubectl: short-lived, audited access to your spaces."""


@main.command()
@click.option("--url", help="The K2Cloud address, e.g. https://k2.example.com.")
@click.option(
    "--token",
    envvar="K2CTL_TOKEN",
    help="A personal access token (k2p_…); without it, a code to confirm in the portal.",
)
@click.option(
    "--ca-file",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    help="The CA that signed K2Cloud's certificate (default: the system's).",
)
@click.option("--insecure", is_flag=True, help="Do not verify K2Cloud's TLS certificate.")
def login(url, token, ca_file, insecure):
    """Log in: a short-lived session token (kept 0600), from --token or a confirmed code."""
    url = (url or config.load().get("url") or "").rstrip("/")
    if not url:
        raise K2ctlError(t("Give the K2Cloud address with --url."), 2)
    if token:
        session = client.call(url, token.strip(), "POST", "sessions/",
                              {"client": os.uname().nodename}, insecure=insecure,
                              ca_file=ca_file)  # fmt: skip
    else:
        session = _device_login(url, insecure=insecure, ca_file=ca_file)
    config.save({"url": url, "token": session["token"], "user": session["user"],
                 "expires_at": session["expires_at"], "insecure": insecure,
                 "ca_file": ca_file})  # fmt: skip
    click.echo(t("Logged in to {url} as {user}; the session expires at {expires}.", url=url,
                 user=session["user"], expires=session["expires_at"]))  # fmt: skip


def _device_login(url: str, **tls) -> dict:
    """The browser-free login: print a code, poll until it is confirmed in the portal."""
    start = client.call(url, "", "POST", "device/", {"client": os.uname().nodename}, **tls)
    click.echo(t("To log in, open {page} (signed in to K2Cloud) and confirm the code {code}.",
                 page=start["verification_uri_complete"], code=start["user_code"]))  # fmt: skip
    click.echo(t("Waiting for the confirmation (the code expires in {minutes} minutes)…",
                 minutes=max(1, start["expires_in"] // 60)))  # fmt: skip
    interval = max(1, int(start.get("interval") or 5))
    deadline = time.monotonic() + start["expires_in"] + interval
    while time.monotonic() < deadline:
        time.sleep(interval)
        got = client.call(url, "", "POST", "device/token/", {"device_code": start["device_code"]},
                          oauth_errors=True, **tls)  # fmt: skip
        error = got.get("error")
        if not error:
            return got
        if error == "slow_down":
            interval += 5
        elif error != "authorization_pending":
            messages = {"access_denied": t("The login was denied in the portal."),
                        "expired_token": t("The code expired: run `k2ctl login` again.")}  # fmt: skip
            raise K2ctlError(messages.get(error) or got.get("error_description") or error)
    raise K2ctlError(t("The code expired: run `k2ctl login` again."))


@main.command()
def refresh():
    """Push the session's expiry out (until the personal token's own expiry)."""
    data = _session()
    session = _api("POST", "sessions/current/")
    data["expires_at"] = session["expires_at"]
    config.save(data)
    click.echo(
        t("The session was refreshed; it expires at {expires}.", expires=session["expires_at"])
    )


@main.command()
def logout():
    """Revoke the session token on the server and forget it here."""
    data = config.load()
    if data.get("token") and data.get("url"):
        try:
            _api("DELETE", "sessions/current/")
        finally:
            config.clear()
    click.echo(t("Logged out: the session token is revoked."))


@main.command()
@click.option("-o", "--output", type=OUTPUT, default="table")
def whoami(output):
    """Who K2Cloud sees."""
    me = _api("GET", "whoami/")
    if output != "table":
        _dump(me, output)
        return
    click.echo(f"{t('User')}: {me['user']}")
    click.echo(f"{t('Token')}: {me['token']}")
    click.echo(f"{t('Session expires')}: {me['session_expires_at'] or '-'}")
    click.echo(f"{t('Server')}: {_session()['url']}")


@main.command()
@click.option("-o", "--output", type=OUTPUT, default="table")
def spaces(output):
    """The spaces you are a member of."""
    items = _api("GET", "spaces/")
    if output != "table":
        _dump(items, output)
        return
    _table(["SPACE", "ENVIRONMENT", "ROLE", "CLUSTERS", "EXEC"],
           [[s["slug"], s["environment"], s["role"] or "-", ",".join(s["clusters"]),
             t("yes") if s["exec"] else t("no")] for s in items])  # fmt: skip


def _complete_space(ctx, param, incomplete):
    try:
        return [s["slug"] for s in _api("GET", "spaces/") if s["slug"].startswith(incomplete)]
    except Exception:  # noqa: BLE001 - completion never fails loudly
        return []


@main.command()
@click.argument("space", shell_complete=_complete_space)
@click.option("-o", "--output", type=OUTPUT, default="table")
def apps(space, output):
    """The apps of SPACE."""
    items = _api("GET", f"spaces/{space}/")["apps"]
    if output != "table":
        _dump(items, output)
        return
    _table(["NAME", "KIND", "STATUS", "CLUSTERS"],
           [[a["name"], a["kind"], a["status"], ",".join(a["clusters"])] for a in items])  # fmt: skip


@main.command()
@click.argument("target")
@click.option(
    "-o", "--output", type=click.Choice(["table", "json", "yaml", "wide"]), default="table"
)
@click.option("--cluster", help="Which of the space's clusters (default: its primary).")
def pods(target, output, cluster):
    """The pods of SPACE/APP (kubectl's table)."""
    space, app = _split_target(target)
    with _Kube(space, cluster) as k:
        args = ["get", "pods", "-l", f"{kube.APP_LABEL}={app}"]
        if output != "table":
            args += ["-o", output]
        sys.exit(k.run(args))


@main.command()
@click.argument("target")
@click.option("-f", "--follow", is_flag=True)
@click.option("--tail", type=int, default=None)
@click.option("-c", "--container", default=None)
@click.option("--pod", default=None, help="One pod (default: every pod of the app).")
@click.option("--cluster", default=None)
def logs(target, follow, tail, container, pod, cluster):
    """The logs of SPACE/APP (all its pods, or --pod)."""
    space, app = _split_target(target)
    with _Kube(space, cluster) as k:
        args = ["logs", pod] if pod else ["logs", "-l", f"{kube.APP_LABEL}={app}", "--prefix"]
        if follow:
            args.append("-f")
        if tail is not None:
            args.append(f"--tail={tail}")
        args.append(f"--container={container}" if container else "--all-containers=false")
        sys.exit(k.run(args))


def _exec(target, pod, container, interactive, tty, cluster, command) -> int:
    space, app = _split_target(target)
    if not command:
        raise K2ctlError(t("Give the command after --, e.g. k2ctl exec shop/web -- ls."), 2)
    with _Kube(space, cluster) as k:
        pod = pod or k.first_pod(app)
        args = ["exec", pod]
        if interactive:
            args.append("-i")
        if tty:
            args.append("-t")
        if container:
            args += ["-c", container]
        return k.run([*args, "--", *command])


@main.command(name="exec", context_settings={"ignore_unknown_options": True})
@click.argument("target")
@click.option("--pod", default=None)
@click.option("-c", "--container", default=None)
@click.option("-i", "--stdin", "interactive", is_flag=True)
@click.option("-t", "--tty", is_flag=True)
@click.option("--cluster", default=None)
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def exec_(target, pod, container, interactive, tty, cluster, command):
    """Run COMMAND in a pod of SPACE/APP (a recorded session): k2ctl exec shop/web -- ls."""
    sys.exit(_exec(target, pod, container, interactive, tty, cluster, list(command)))


@main.command()
@click.argument("target")
@click.option("--pod", default=None)
@click.option("-c", "--container", default=None)
@click.option("--cluster", default=None)
@click.option("--shell", default="sh")
def sh(target, pod, container, cluster, shell):
    """An interactive shell with a real terminal in a pod of SPACE/APP."""
    sys.exit(_exec(target, pod, container, True, sys.stdin.isatty(), cluster, [shell]))


@main.command()
@click.argument("space", shell_complete=_complete_space)
@click.option("--cluster", default=None)
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write it (default: ~/.config/k2ctl/kubeconfig-SPACE-CLUSTER.yaml).",
)
def kubeconfig(space, cluster, path):
    """Write a kubeconfig for SPACE: plain kubectl then works through K2Cloud's proxy."""
    data = _session()
    info = _api("GET", f"spaces/{space}/")
    chosen = kube.pick_cluster(info, cluster)
    text, context = kube.kubeconfig_text(data["url"], data["token"], info, chosen,
                                         insecure=bool(data.get("insecure")), ca_file=data.get("ca_file"))  # fmt: skip
    written = kube.write_kubeconfig(text, path, info["slug"], chosen)
    click.echo(t("Wrote {path} (context {context}); use it with: export KUBECONFIG={path}",
                 path=written, context=context))  # fmt: skip


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh"]))
def completion(shell):
    """Print the completion script: source <(k2ctl completion bash)."""
    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(main, {}, "k2ctl", "_K2CTL_COMPLETE").source())


def run() -> None:
    """The console script: K2ctlError in words, never a traceback."""
    try:
        main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except K2ctlError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.code)
    except KeyboardInterrupt:
        sys.exit(130)
