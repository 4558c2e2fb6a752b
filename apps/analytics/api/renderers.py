"""CSV export of any analytics report: /api/v1/analytics/<report>/?format=csv."""

import csv
import io

from rest_framework import renderers


class ReportCSVRenderer(renderers.BaseRenderer):
    """Writes a report's rows under its column labels; an error envelope becomes one row."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        if isinstance(data, dict) and "rows" in data and "columns" in data:
            keys = [c["key"] for c in data["columns"]]
            writer.writerow([c["label"] for c in data["columns"]])
            for row in data["rows"]:
                writer.writerow([_cell(row.get(k)) for k in keys])
        elif isinstance(data, dict):
            writer.writerow(list(data))
            writer.writerow([_cell(v) for v in data.values()])
        response = renderer_context and renderer_context.get("response")
        view = renderer_context and renderer_context.get("view")
        if response is not None and view is not None and response.status_code == 200:
            name = getattr(view, "report_name", "report")
            response["Content-Disposition"] = f'attachment; filename="k2-analytics-{name}.csv"'
        return buffer.getvalue().encode(self.charset)


def _cell(value):
    if value is None:
        return ""
    text = str(value)
    # Spreadsheets run cells starting with these as formulas (CSV injection).
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
