"""`manage.py register_cluster --kubeconfig FILE --name N --env test|staging|prod|ml`."""

import base64
from pathlib import Path

import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.audit.actors import Actor
from apps.clusters.choices import Environment
from apps.clusters.kubeconfig import FILE_REFERENCES
from apps.clusters.services import do_register_cluster


def embed_file_references(text: str, base: Path) -> str:
    """Replace certificate/key/token file paths by their inline contents (CLI only: the
    person running the command already reads these files; the portal and API never do)."""
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        return text
    for section, key in (("clusters", "cluster"), ("users", "user")):
        for entry in doc.get(section) or []:
            body = (entry or {}).get(key) or {}
            for ref, inline in FILE_REFERENCES.items():
                if body.get(ref):
                    path = Path(body.pop(ref)).expanduser()
                    path = path if path.is_absolute() else base / path
                    raw = path.read_bytes()
                    body[inline] = (
                        raw.decode().strip()
                        if ref == "tokenFile"
                        else base64.b64encode(raw).decode()
                    )
    return yaml.safe_dump(doc, sort_keys=False)


class Command(BaseCommand):
    help = "Register a Kubernetes cluster from a kubeconfig (the same checks as the portal)."

    def add_arguments(self, parser):
        parser.add_argument("--kubeconfig", required=True, help="Path of the kubeconfig file.")
        parser.add_argument("--context", default="", help="Context to use (default: current).")
        parser.add_argument("--name", required=True, help="Cluster name (DNS label).")
        parser.add_argument("--env", required=True, choices=Environment.values)
        parser.add_argument("--display-name", default="")
        parser.add_argument("--region", default="")
        parser.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
        parser.add_argument("--insecure-skip-tls-verify", action="store_true",
                            help="Do not verify the API server's certificate (shown as a warning).")  # fmt: skip
        parser.add_argument("--update-existing", action="store_true",
                            help="If a cluster of this name exists, update its credentials instead of failing.")  # fmt: skip
        parser.add_argument("--embed-files", action="store_true",
                            help="Inline certificate, key and token files the kubeconfig points at.")  # fmt: skip

    def handle(self, *args, **opts):
        path = Path(opts["kubeconfig"])
        try:
            text = path.read_text()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        if opts["embed_files"]:
            try:
                text = embed_file_references(text, path.parent)
            except OSError as exc:
                raise CommandError(f"cannot embed a file the kubeconfig points at: {exc}") from exc
            except yaml.YAMLError as exc:
                raise CommandError(f"{path} is not a kubeconfig: invalid YAML") from exc
        labels = {}
        for item in opts["label"]:
            key, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--label wants KEY=VALUE, not {item!r}")
            labels[key] = value
        try:
            cluster = do_register_cluster(
                name=opts["name"], environment=opts["env"], kubeconfig=text,
                context=opts["context"] or None, display_name=opts["display_name"],
                region=opts["region"], labels=labels,
                verify_tls=not opts["insecure_skip_tls_verify"],
                update_existing=opts["update_existing"], probe_now=True,
                actor=Actor.cli("manage.py register_cluster"),
            )  # fmt: skip
        except ValidationError as exc:
            messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            raise CommandError(
                "; ".join(f"{k + ': ' if k else ''}{' '.join(v)}" for k, v in messages.items())
            ) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"cluster {cluster.name} ({cluster.environment}) registered: "
                f"{cluster.api_url}, Kubernetes {cluster.kubernetes_version}, "
                f"{cluster.node_count} nodes, {cluster.health}"
            )
        )
