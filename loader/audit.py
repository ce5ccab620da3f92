"""What every warehouse records about a file load: the audit row and the rejects, their tables
and columns, and the load's start (the raw rows' _loaded_at). Shared by the DuckDB and
MySQL/MariaDB warehouses (loader/warehouse.py) and Spark's (loader/spark_warehouse.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

AUDIT_TABLE = "_load_audit"
REJECTS_TABLE = "_load_rejects"

AUDIT_COLUMNS = (
    "load_id", "file_name", "file_kind", "file_sha256", "encoding", "rows_read", "rows_loaded",
    "rows_rejected", "rows_duplicate", "started_at", "finished_at", "status", "message",
    "source_folder",
)
# raw_line keeps a bounded prefix of the refused record (loader/reader.RAW_PREFIX_CHARS), with
# the whole record's length in bytes and SHA-256: a reject row stays small however long the
# record was (a MySQL TEXT holds 64 KB).
REJECT_COLUMNS = ("load_id", "source_file", "line_number", "column_name", "reason", "raw_line",
                  "raw_length", "raw_sha256")
# Columns later loaders added to _load_rejects: added to a table an older loader created.
REJECT_COLUMNS_ADDED = (("raw_length", "bigint"), ("raw_sha256", "char(64)"))


@dataclass(frozen=True)
class PreviousLoad:
    """The current load of a file name: its content hash, rows and the folder it came from
    (None for loads of loaders whose audit had no source_folder)."""

    file_sha256: str
    rows_loaded: int
    source_folder: str | None


@dataclass
class Audit:
    load_id: str
    file_name: str
    file_kind: str
    file_sha256: str
    started_at: str
    encoding: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    finished_at: str | None = None
    status: str = "started"
    message: str = ""
    source_folder: str = ""

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, c) for c in AUDIT_COLUMNS)


def start_after(audit: Audit, latest: datetime | None) -> None:
    """Move audit.started_at to a microsecond after `latest` (the last load's start) when the
    clock reads earlier than that: _loaded_at keys the raw rows of one load, and dbt reads the
    rows loaded since the last _loaded_at it saw, so a clock set back must not reuse a start."""
    if latest is None:
        return
    earliest = latest + timedelta(microseconds=1)
    if datetime.fromisoformat(audit.started_at) < earliest:
        audit.started_at = earliest.isoformat(sep=" ", timespec="microseconds")
