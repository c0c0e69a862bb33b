"""What every staff export shares: cells a spreadsheet will not run, rows streamed."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class SpreadsheetSafeExport:
    """For Wagtail index views with ``list_export``: CSV cells are plain text (times in the
    newsroom's zone), no cell can start a formula, and rows are read from the database in
    chunks rather than all at once."""

    FORMAT_CSV = "csv"

    def preprocess_field_value(self, field: str, value: Any, export_format: str) -> Any:
        if export_format == self.FORMAT_CSV:
            if value is None:
                return ""
            if isinstance(value, datetime.datetime):
                return timezone.localtime(value).isoformat()
        parent: Any = super()
        value = parent.preprocess_field_value(field, value, export_format)
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            return "'" + value
        return value

    def stream_csv(self, queryset: Any) -> Any:
        parent: Any = super()
        return parent.stream_csv(queryset.iterator(chunk_size=2000))
