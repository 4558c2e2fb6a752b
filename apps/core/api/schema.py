"""Post-processing of the generated OpenAPI schema (SPECTACULAR_SETTINGS hook)."""

# Components whose fields beyond another component's are shown only to some callers (the
# full cluster record to platform admins, the summary to everyone): only the fields of
# the smaller component are required.
PARTLY_VISIBLE = {"Cluster": "ClusterSummary"}


def partly_visible_components(result, generator, request, public):
    schemas = result.get("components", {}).get("schemas", {})
    for name, smaller in PARTLY_VISIBLE.items():
        if name in schemas and smaller in schemas:
            always = set(schemas[smaller].get("required", []))
            schemas[name]["required"] = [
                f for f in schemas[name].get("required", []) if f in always
            ]
            schemas[name]["description"] = (
                schemas[name].get("description", "")
                + " Platform admins get every field; others the fields of ClusterSummary."
            ).strip()
    return result
