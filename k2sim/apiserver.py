"""The generic registry: create/get/list/update/patch/delete with the apiserver's metadata,
validation, admission, finalizer and deletion semantics. HTTP handlers and controllers both
go through here, so quota or a terminating namespace stop a ReplicaSet the same way they
stop kubectl."""

from __future__ import annotations

import base64
import json
import random
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import apply as ssa
from . import errors, immutable
from .defaults import apply_defaults, name_causes
from .openapi import SchemaCursor, prune, root_for, validate
from .patch import json_patch, merge_patch, strategic_merge
from .resources import Resource
from .selectors import parse_field_selector, parse_label_selector
from .storage import Entry, Obj, clone

if TYPE_CHECKING:
    from .cluster import Cluster

Admission = Callable[[str, Resource, Obj, Obj | None], None]
_ALNUM = "bcdfghjklmnpqrstvwxz2456789"


def rand_suffix(n: int = 5) -> str:
    return "".join(random.choice(_ALNUM) for _ in range(n))


def _spec_part(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "kind", "apiVersion")}


class Api:
    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.store = cluster.store
        self.registry = cluster.registry
        self.admission: list[Admission] = []
        self.warnings: list[str] = []

    # -- helpers -----------------------------------------------------------------------
    def res(self, group: str, plural: str) -> Resource:
        r = self.registry.get(group, self.registry.preferred_version(group), plural)
        if r is None:
            raise errors.not_found(group, plural, "")
        return r

    def get(self, res: Resource, ns: str, name: str) -> Obj:
        obj = self.store.get(res.key, ns if res.namespaced else "", name)
        if obj is None:
            raise errors.not_found(res.group, res.plural, name)
        return obj

    def find(self, res: Resource, ns: str, name: str) -> Obj | None:
        return self.store.get(res.key, ns if res.namespaced else "", name)

    def _check_namespace(self, res: Resource, ns: str, op: str) -> None:
        if not res.namespaced:
            return
        nsobj = self.store.get("/namespaces", "", ns)
        if nsobj is None:
            raise errors.not_found("", "namespaces", ns)
        if op == "create" and nsobj["metadata"].get("deletionTimestamp"):
            raise errors.ApiError(
                403,
                "Forbidden",
                f'{res.plural} "{{name}}" is forbidden: unable to create new content in '
                f"namespace {ns} because it is being terminated",
                {
                    "causes": [
                        {
                            "reason": "NamespaceTerminating",
                            "message": f"namespace {ns} is being terminated",
                            "field": "metadata.namespace",
                        }
                    ]
                },
            )

    def _validate(
        self, res: Resource, obj: Obj, field_validation: str, schema: bool = True
    ) -> None:
        name = obj["metadata"].get("name", "")
        causes = name_causes(res.kind, name)
        unknown: list[str] = []
        root = root_for(res) if schema else None
        if root is not None:
            validate(obj, root, "", causes, unknown)
        if causes:
            raise errors.invalid(res.kind, name, causes, res.group)
        if unknown and field_validation == "Strict":
            msg = "strict decoding error: " + ", ".join(f'unknown field "{u}"' for u in unknown)
            raise errors.bad_request(msg)
        if unknown and field_validation != "Ignore":
            self.warnings.extend(f'unknown field "{u}"' for u in unknown)
        if unknown:
            prune(obj, unknown)

    # -- create --------------------------------------------------------------------------
    def create(
        self,
        res: Resource,
        ns: str,
        obj: Obj,
        *,
        manager: str | None = None,
        dry_run: bool = False,
        field_validation: str = "",
        fresh: bool = False,
    ) -> Obj:
        """Create ``obj``; ``fresh=True`` hands over a dict nobody else holds (no copy)."""
        if not fresh:
            obj = clone(obj)
        md = obj.setdefault("metadata", {})
        if not isinstance(md, dict):
            raise errors.bad_request("metadata must be an object")
        if res.namespaced:
            body_ns = md.get("namespace")
            if body_ns and ns and body_ns != ns:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            ns = ns or body_ns or "default"
            md["namespace"] = ns
        else:
            md.pop("namespace", None)
            ns = ""
        if not md.get("name"):
            gen = md.get("generateName")
            if not gen:
                raise errors.invalid(
                    res.kind,
                    "",
                    [
                        {
                            "reason": "FieldValueRequired",
                            "message": "Required value: name or generateName is required",
                            "field": "metadata.name",
                        }
                    ],
                    res.group,
                )
            for _ in range(20):
                cand = gen + rand_suffix()
                if self.store.get(res.key, ns, cand) is None:
                    md["name"] = cand
                    break
        obj["apiVersion"] = res.api_version
        obj["kind"] = res.kind
        self._check_namespace(res, ns, "create")
        # Internal writes (controllers, bootstrap: manager None) are trusted to be well formed.
        self._validate(res, obj, field_validation, schema=manager is not None)
        if self.store.get(res.key, ns, md["name"]) is not None:
            raise errors.already_exists(res.group, res.plural, md["name"])
        if manager is not None and md.get("resourceVersion"):
            # What etcd3 storage answers, e.g. for a `kubectl get -o yaml` dump re-created as is.
            raise errors.ApiError(
                500,
                "InternalError",
                "Internal error occurred: resourceVersion should not be set on objects to be created",
                {
                    "causes": [
                        {"message": "resourceVersion should not be set on objects to be created"}
                    ]
                },
            )
        for k in ("resourceVersion", "deletionTimestamp", "managedFields"):
            if k != "managedFields" or manager is not None:
                md.pop(k, None)
        md["uid"] = str(uuid.uuid4())
        md["creationTimestamp"] = ssa.now_iso()
        if "spec" in obj or res.kind in ("Deployment", "Pod"):
            md["generation"] = 1
        apply_defaults(res.kind, obj)
        for adm in self.admission:
            adm("create", res, obj, None)
        if manager is not None and not md.get("managedFields"):
            ssa.record_update(None, obj, manager, SchemaCursor(root_for(res)), res.api_version)
        if dry_run:
            return obj
        return self.store.put(res.key, obj)

    # -- list ----------------------------------------------------------------------------
    def list(
        self,
        res: Resource,
        ns: str | None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int = 0,
        cont: str | None = None,
    ) -> tuple[list[Entry], int, str | None, int]:
        """Return (entries, list resourceVersion, continue token, remaining count)."""
        lmatch = parse_label_selector(label_selector)
        fmatch = parse_field_selector(field_selector)
        entries = list(self.store.entries(res.key, ns if res.namespaced else None))
        if label_selector:
            entries = [e for e in entries if lmatch(e.obj["metadata"].get("labels") or {})]
        if field_selector:
            entries = [e for e in entries if fmatch(e.obj)]
        entries.sort(
            key=lambda e: (e.obj["metadata"].get("namespace", ""), e.obj["metadata"]["name"])
        )
        rv = self.store.rv
        start = 0
        if cont:
            try:
                tok = json.loads(base64.urlsafe_b64decode(cont.encode()))
                start_key = (tok["ns"], tok["name"])
                rv = tok["rv"]
            except (ValueError, KeyError) as exc:
                raise errors.bad_request("continue key is not valid: " + str(exc)) from exc
            if rv < self.store.history_floor:
                raise errors.ApiError(
                    410,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list result. "
                    "You can start a new list without the continue parameter.",
                )
            start = next(
                (
                    i
                    for i, e in enumerate(entries)
                    if (e.obj["metadata"].get("namespace", ""), e.obj["metadata"]["name"])
                    > start_key
                ),
                len(entries),
            )
        if limit and limit > 0 and start + limit < len(entries):
            page = entries[start : start + limit]
            last = page[-1].obj["metadata"]
            tok = {"rv": rv, "ns": last.get("namespace", ""), "name": last["name"]}
            token = base64.urlsafe_b64encode(json.dumps(tok).encode()).decode()
            return page, rv, token, len(entries) - start - limit
        return entries[start:], rv, None, 0

    # -- update --------------------------------------------------------------------------
    def update(
        self,
        res: Resource,
        ns: str,
        name: str,
        new: Obj,
        *,
        subresource: str = "",
        manager: str | None = None,
        dry_run: bool = False,
        field_validation: str = "",
        check_rv: bool = True,
    ) -> Obj:
        old = self.get(res, ns, name)
        new = clone(new)
        md = new.setdefault("metadata", {})
        if md.get("name", name) != name:
            raise errors.bad_request(
                f"the name of the object ({md.get('name')}) does not match the name on the URL ({name})"
            )
        rv = md.get("resourceVersion")
        if check_rv and rv and rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(
                res.group,
                res.plural,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            )
        if subresource == "status":
            merged = clone(old)
            merged["status"] = new.get("status", {})
            new = merged
            md = new["metadata"]
        elif res.has_status and "status" in old:
            new["status"] = clone(old["status"]) if "status" in old else new.get("status")
        return self._commit(res, old, new, manager, subresource, dry_run, field_validation)

    def _commit(
        self,
        res: Resource,
        old: Obj,
        new: Obj,
        manager: str | None,
        subresource: str,
        dry_run: bool,
        field_validation: str = "",
    ) -> Obj:
        md = new.setdefault("metadata", {})
        omd = old["metadata"]
        md["name"] = omd["name"]
        if res.namespaced:
            md["namespace"] = omd["namespace"]
        for k in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
            if k in omd:
                md[k] = omd[k]
            else:
                md.pop(k, None)
        new["apiVersion"] = res.api_version
        new["kind"] = res.kind
        if "generation" in omd:
            md["generation"] = omd["generation"]
            if _spec_part(old) != _spec_part(new):
                md["generation"] = omd["generation"] + 1
        if omd.get("deletionTimestamp"):
            added = set(md.get("finalizers") or []) - set(omd.get("finalizers") or [])
            if added:
                raise errors.forbidden(
                    "no new finalizers can be added if the object is being deleted"
                )
        if field_validation or manager is not None:
            self._validate(res, new, field_validation)
        if manager is not None:
            immutable.check(res.kind, old, new)
        apply_defaults(res.kind, new)
        for adm in self.admission:
            adm("update", res, new, old)
        if manager is not None and "managedFields" not in md:
            md["managedFields"] = omd.get("managedFields", [])
        if manager is not None:
            ssa.record_update(
                old, new, manager, SchemaCursor(root_for(res)), res.api_version, subresource
            )
        elif "managedFields" not in md and "managedFields" in omd:
            md["managedFields"] = omd["managedFields"]
        if dry_run:
            return new
        if _same(old, new):
            return old
        if omd.get("deletionTimestamp") and not md.get("finalizers"):
            self.store.remove(res.key, md.get("namespace", ""), md["name"])
            return new
        return self.store.put(res.key, new, old)

    def replace(self, res: Resource, new: Obj) -> Obj:
        """Controller write: no resourceVersion check, no managedFields, status included."""
        md = new["metadata"]
        old = self.get(res, md.get("namespace", ""), md["name"])
        return self._commit(res, old, new, None, "", False)

    def mutate(self, res: Resource, ns: str, name: str, fn: Callable[[Obj], Any]) -> Obj | None:
        """Read-modify-write helper for controllers; returns None if the object is gone."""
        old = self.find(res, ns, name)
        if old is None:
            return None
        new = clone(old)
        fn(new)
        if _same(old, new):
            return old
        return self._commit(res, old, new, None, "", False)

    # -- patch ---------------------------------------------------------------------------
    def patch(
        self,
        res: Resource,
        ns: str,
        name: str,
        body: bytes,
        content_type: str,
        *,
        subresource: str = "",
        manager: str | None = None,
        force: bool = False,
        dry_run: bool = False,
        field_validation: str = "",
    ) -> Obj:
        ct = content_type.split(";")[0].strip()
        cursor = SchemaCursor(root_for(res))
        if ct == "application/apply-patch+yaml":
            return self._apply(
                res, ns, name, body, manager, force, dry_run, field_validation, subresource
            )
        old = self.get(res, ns, name)
        try:
            patch = json.loads(body or b"{}")
        except ValueError as exc:
            raise errors.bad_request(f"error decoding patch: {exc}") from exc
        if ct == "application/merge-patch+json":
            new = merge_patch(old, patch)
        elif ct == "application/json-patch+json":
            new = json_patch(old, patch)
        elif ct == "application/strategic-merge-patch+json":
            if res.crd_schema is not None:
                raise errors.unsupported_media(
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
                )
            new = strategic_merge(old, patch, cursor)
        else:
            raise errors.unsupported_media(f"unsupported patch type {ct!r}")
        if not isinstance(new, dict):
            raise errors.bad_request("patch produced a non-object")
        new.setdefault("metadata", {})
        prv = (
            (patch.get("metadata") or {}).get("resourceVersion")
            if isinstance(patch, dict)
            else None
        )
        if prv and prv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(
                res.group,
                res.plural,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            )
        if subresource == "status":
            merged = clone(old)
            merged["status"] = new.get("status", {})
            new = merged
        elif res.has_status:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        return self._commit(
            res, old, new, manager or "unknown", subresource, dry_run, field_validation
        )

    def _apply(
        self,
        res: Resource,
        ns: str,
        name: str,
        body: bytes,
        manager: str | None,
        force: bool,
        dry_run: bool,
        field_validation: str,
        subresource: str,
    ) -> Obj:
        import yaml

        if not manager:
            raise errors.bad_request(
                "PATCH, application/apply-patch+yaml: fieldManager is required for apply requests"
            )
        try:
            cfg = yaml.safe_load(body)
        except yaml.YAMLError as exc:
            raise errors.bad_request(f"error decoding YAML: {exc}") from exc
        if not isinstance(cfg, dict):
            raise errors.bad_request("apply patch must be an object")
        cfg.setdefault("metadata", {})
        if cfg["metadata"].get("name", name) != name:
            raise errors.bad_request("the name of the object does not match the name on the URL")
        cfg["metadata"]["name"] = name
        cursor = SchemaCursor(root_for(res))
        live = self.find(res, ns, name)
        if live is None:
            obj = ssa.apply(None, cfg, manager, force, cursor, res.api_version)
            obj.update(apiVersion=res.api_version, kind=res.kind)
            self._validate(res, obj, field_validation)
            created = self.create(
                res, ns, obj, manager=None, dry_run=dry_run, field_validation=field_validation
            )
            return created
        new = ssa.apply(live, cfg, manager, force, cursor, res.api_version)
        self._validate(res, new, field_validation)
        if subresource != "status" and res.has_status and "status" in live:
            new["status"] = live["status"]
        return self._commit(res, live, new, None, subresource, dry_run, field_validation)

    # -- delete --------------------------------------------------------------------------
    def delete(
        self,
        res: Resource,
        ns: str,
        name: str,
        *,
        propagation: str | None = None,
        grace: int | None = None,
        preconditions: dict[str, Any] | None = None,
        dry_run: bool = False,
    ) -> tuple[Obj, bool]:
        """Delete or mark for deletion. Returns (object, removed_now)."""
        old = self.get(res, ns, name)
        omd = old["metadata"]
        pre = preconditions or {}
        if pre.get("uid") and pre["uid"] != omd.get("uid"):
            raise errors.conflict(
                res.group,
                res.plural,
                name,
                "Precondition failed: UID in precondition does not match the UID in record",
            )
        if pre.get("resourceVersion") and pre["resourceVersion"] != omd.get("resourceVersion"):
            raise errors.conflict(
                res.group,
                res.plural,
                name,
                "Precondition failed: ResourceVersion in precondition does not match",
            )
        if dry_run:
            return old, False
        if propagation is None:
            propagation = "Orphan" if res.kind in ("ReplicationController",) else "Background"
        finalizers = list(omd.get("finalizers") or [])
        if propagation == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        if propagation == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        graceful = self._graceful(res, old, grace)
        if res.kind == "Namespace":
            if omd.get("deletionTimestamp"):
                return old, False
            new = clone(old)
            new["metadata"]["deletionTimestamp"] = ssa.now_iso()
            new["status"] = dict(new.get("status") or {}, phase="Terminating")
            return self.store.put(res.key, new, old), False
        if finalizers or graceful:
            unchanged = finalizers == list(omd.get("finalizers") or [])
            if omd.get("deletionTimestamp") and unchanged and (not graceful or grace != 0):
                return old, False
            new = clone(old)
            new["metadata"]["finalizers"] = finalizers
            if not finalizers:
                new["metadata"].pop("finalizers")
            new["metadata"].setdefault("deletionTimestamp", ssa.now_iso())
            new["metadata"]["deletionGracePeriodSeconds"] = (
                grace
                if grace is not None
                else (
                    (old.get("spec") or {}).get("terminationGracePeriodSeconds", 0)
                    if graceful
                    else 0
                )
            )
            if graceful and grace == 0 and not finalizers:
                return self.store.remove(res.key, omd.get("namespace", ""), name) or old, True
            return self.store.put(res.key, new, old), False
        removed = self.store.remove(res.key, omd.get("namespace", ""), name)
        return removed or old, True

    def _graceful(self, res: Resource, obj: Obj, grace: int | None) -> bool:
        """Scheduled pods terminate through the (simulated) kubelet, like real ones."""
        if res.kind != "Pod":
            return False
        if not (obj.get("spec") or {}).get("nodeName"):
            return False
        if obj.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            return False
        return grace is None or grace > 0

    def finish_delete(self, res: Resource, ns: str, name: str) -> None:
        """Kubelet/GC: remove an object whose graceful deletion completed."""
        obj = self.find(res, ns, name)
        if obj is not None and not obj["metadata"].get("finalizers"):
            self.store.remove(res.key, ns if res.namespaced else "", name)

    def remove_finalizer(self, res: Resource, ns: str, name: str, finalizer: str) -> None:
        def drop(o: Obj) -> None:
            fin = [f for f in o["metadata"].get("finalizers") or [] if f != finalizer]
            if fin:
                o["metadata"]["finalizers"] = fin
            else:
                o["metadata"].pop("finalizers", None)

        self.mutate(res, ns, name, drop)


def _same(a: Obj, b: Obj) -> bool:
    """Equal ignoring resourceVersion and managedFields timestamps (no-op writes are skipped)."""
    if a.keys() != b.keys():
        return False
    for k in a:
        if k == "metadata":
            ma = {x: y for x, y in a[k].items() if x not in ("resourceVersion", "managedFields")}
            mb = {x: y for x, y in b[k].items() if x not in ("resourceVersion", "managedFields")}
            if ma != mb:
                return False
            fa = [{**e, "time": ""} for e in a[k].get("managedFields") or []]
            fb = [{**e, "time": ""} for e in b[k].get("managedFields") or []]
            if fa != fb:
                return False
        elif a[k] != b[k]:
            return False
    return True
