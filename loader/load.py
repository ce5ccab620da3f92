"""Load a folder of exports: one atomic, audited, reconciled load per file."""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, TextIO

from loader.contracts import FileKind, kind_for
from loader.reader import FileRefused, Record, detect_encoding, file_sha256, header_index, records
from loader.staging_file import StagingFile
from loader.values import normaliser
from loader.warehouse import Audit, Warehouse


@dataclass
class FileResult:
    audit: Audit
    notices: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.audit.status in ("loaded", "unchanged")


def _now() -> str:
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _column_positions(kind: FileKind, path: Path, header: Record, notices: list[str]) -> list[int]:
    index = header_index(header.fields)
    missing = [c.name for c in kind.columns if c.required and c.name not in index]
    if missing:
        raise FileRefused(
            f"{path.name}: line 1: missing required column(s) {', '.join(missing)}; "
            f"expected the {kind.name} columns {', '.join(kind.column_names)}"
        )
    known = set(kind.column_names)
    extra = [h.strip() for h in header.fields if h.strip().casefold() not in known]
    if extra:
        notices.append(f"{path.name}: extra column(s) ignored: {', '.join(extra)}")
    return [index.get(c.name, -1) for c in kind.columns]


def _stage_rows(kind: FileKind, path: Path, encoding: str, audit: Audit, data: StagingFile,
                rejects: StagingFile, notices: list[str]) -> None:
    rows = records(path, encoding)
    header = next(rows, None)
    if header is None:
        raise FileRefused(f"{path.name}: empty file, expected a header line")
    positions = _column_positions(kind, path, header, notices)
    normalisers = [normaliser(c) for c in kind.columns]
    names = kind.column_names
    width = len(header.fields)
    key_at = [names.index(k) for k in kind.key]
    seen: dict[tuple[str | None, ...], tuple[int, tuple[str | None, ...]]] = {}

    def reject(record: Record, column: str | None, reason: str) -> None:
        audit.rows_rejected += 1
        rejects.write((audit.load_id, path.name, record.line, column, reason, record.raw))

    for record in rows:
        audit.rows_read += 1
        fields = record.fields
        if fields and fields[0] == "\x00csv-error":
            reject(record, None, f"unreadable CSV record: {fields[1]}")
            continue
        if len(fields) != width:
            reject(record, None, f"expected {width} fields as in the header, found {len(fields)}")
            continue
        values: list[str | None] = []
        failed = False
        for name, pos, normalise in zip(names, positions, normalisers):
            try:
                values.append(normalise(fields[pos] if pos >= 0 else ""))
            except ValueError as exc:
                reject(record, name, f"{name} = {fields[pos]!r}: {exc}" if pos >= 0 else str(exc))
                failed = True
                break
        if failed:
            continue
        row = tuple(values)
        key = tuple(row[i] for i in key_at)
        earlier = seen.get(key)
        if earlier is not None:
            if earlier[1] == row:
                audit.rows_duplicate += 1
            else:
                reject(record, None, f"conflicts with line {earlier[0]}: same "
                       f"{', '.join(kind.key)} with different values")
            continue
        seen[key] = (record.line, row)
        data.write(row + (record.line,))
        audit.rows_loaded += 1


def load_file(warehouse: Warehouse, path: Path, kind: FileKind) -> FileResult:
    sha = file_sha256(path)
    audit = Audit(load_id=uuid.uuid4().hex, file_name=path.name, file_kind=kind.name,
                  file_sha256=sha, started_at=_now())
    result = FileResult(audit)
    if warehouse.last_loaded_sha(path.name) == sha:
        audit.status, audit.finished_at = "unchanged", _now()
        audit.message = "same content as the last load of this file name: nothing to do"
        warehouse.record_start(audit)
        return result
    warehouse.record_start(audit)
    try:
        audit.encoding = detect_encoding(path)
        if audit.encoding != "utf-8-sig":
            result.notices.append(f"{path.name}: read as {audit.encoding}, not UTF-8")
        with StagingFile("aktu-data-") as data, StagingFile("aktu-rejects-") as rejects:
            _stage_rows(kind, path, audit.encoding, audit, data, rejects, result.notices)
            data.close()
            rejects.close()
            reconciled = audit.rows_loaded + audit.rows_rejected + audit.rows_duplicate
            if reconciled != audit.rows_read:
                raise RuntimeError(f"{path.name}: {audit.rows_read} rows read but {reconciled} "
                                   "accounted for")
            audit.status, audit.finished_at = "loaded", _now()
            warehouse.replace_file(kind, audit, data.path, rejects.path)
    except FileRefused as exc:
        audit.status, audit.finished_at, audit.message = "refused", _now(), str(exc)
        audit.rows_read = audit.rows_loaded = audit.rows_rejected = audit.rows_duplicate = 0
        warehouse.record_outcome(audit)
    return result


def discover(data_dir: Path) -> tuple[list[tuple[Path, FileKind]], list[Path]]:
    """Files that match a contract, in a stable order, and CSVs that match none."""
    matched, unknown = [], []
    for path in sorted(data_dir.iterdir()):
        if not path.is_file() or path.suffix.lower() != ".csv":
            continue
        kind = kind_for(path)
        if kind is None:
            unknown.append(path)
        else:
            matched.append((path, kind))
    return matched, unknown


def summary_line(result: FileResult) -> str:
    a = result.audit
    if a.status == "refused":
        return f"REFUSED  {a.file_name}: {a.message}"
    if a.status == "unchanged":
        return f"same     {a.file_name}: already loaded with this content (sha256 {a.file_sha256[:12]})"
    return (f"loaded   {a.file_name} [{a.file_kind}]: read {a.rows_read} = loaded {a.rows_loaded}"
            f" + rejected {a.rows_rejected} + duplicate {a.rows_duplicate}")


def load_folder(warehouse: Warehouse, data_dir: Path,
                out: TextIO = sys.stderr, echo: Callable[[str], None] | None = None) -> list[FileResult]:
    say = echo or (lambda line: print(line, file=out))
    matched, unknown = discover(data_dir)
    for path in unknown:
        say(f"skipped  {path.name}: name matches no file kind (students_master*, attendance_*, "
            "exam_results_*, placements_*)")
    if not matched:
        raise FileRefused(f"{data_dir}: no CSV file matches a known file kind")
    warehouse.ensure_raw_tables()
    results = []
    for path, kind in matched:
        result = load_file(warehouse, path, kind)
        for notice in result.notices:
            say(f"notice   {notice}")
        say(summary_line(result))
        results.append(result)
    return results
