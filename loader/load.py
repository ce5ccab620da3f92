"""Load a folder of exports: one atomic, audited, reconciled load per file."""

from __future__ import annotations

import shutil
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from loader.audit import Audit, PreviousLoad
from loader.contracts import FileKind, kind_for
from loader.duplicates import DuplicateReport
from loader.parse_process import ChildParse, start_parse_server
from loader.progress import Progress
from loader.reader import FileRefused, Record, records, refuse_unreadable, sha256_and_encoding
from loader.stage import DEFAULT_CHUNK_ROWS, Rejects, reason_key
from loader.staging_file import StagingFile
from loader.warehouse import DuckDBWarehouse, FileLoad, Warehouse, WarehouseLost
from loader.workdirs import new_workdir, remove_stale_workdirs

if TYPE_CHECKING:
    from loader.native import NativeFile

# A re-export may remove at most this share of the rows its earlier version loaded; one that
# would remove more, or every row, is refused (`--max-shrink`, `--allow-shrink`).
MAX_SHRINK = 0.5


class ShrinkRefused(FileRefused):
    """A re-export that would remove too many of its earlier version's rows."""


@dataclass
class FileResult:
    audit: Audit
    notices: list[str] = field(default_factory=list)
    seconds: float = 0.0
    reasons: Counter[str] = field(default_factory=Counter)
    # (folder, rows) of an earlier version from another folder that this load replaced
    replaced_from: tuple[str, int] | None = None

    @property
    def ok(self) -> bool:
        return self.audit.status in ("loaded", "unchanged")


def _now() -> str:
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _settle_duplicates(report: DuplicateReport, path: Path, encoding: str, audit: Audit,
                       rejects: "_CountingRejects", key: tuple[str, ...]) -> None:
    """Exact repeats are counted and dropped; every line of a conflicting key is refused."""
    audit.rows_duplicate = len(report.exact)
    if not report.conflicts:
        return
    wanted = set(report.conflicts)
    for record in records(path, encoding):  # a second read, only when keys conflict
        if record.line in wanted:
            others = ", ".join(map(str, report.conflicts[record.line]))
            rejects.add(record, None, f"conflicting duplicate: same {', '.join(key)} as "
                                      f"line(s) {others} with different values; all are refused")
    audit.rows_rejected += len(report.conflicts)


def shrink_refusal(file_name: str, previous: PreviousLoad | None, rows: int,
                   max_shrink: float | None) -> str | None:
    """Why a re-export of `rows` rows may not replace its earlier version, or None."""
    if max_shrink is None or previous is None or previous.rows_loaded <= 0:
        return None
    lost = previous.rows_loaded - rows
    if rows > 0 and lost <= max_shrink * previous.rows_loaded:
        return None
    return (f"{file_name}: this version would load {rows:,} rows where the loaded version has "
            f"{previous.rows_loaded:,}; a re-export may remove at most {max_shrink:.0%} of them, "
            "so nothing changed. If those rows are meant to go, load it again with "
            "--allow-shrink; else check that the export is complete")


def short_error(exc: BaseException) -> str:
    """An error in one line: its first and last lines (a child's traceback ends with the
    cause), each cut short, so no more than an excerpt of a data row can ever get in."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [""]
    text = lines[0][:160]
    if len(lines) > 1:
        text += " ... " + lines[-1][:160]
    return f"{type(exc).__name__}: {text}"


def failure_message(exc: BaseException) -> str:
    return f"{short_error(exc)}; the load was rolled back: fix the cause, then load it again"


def load_file(warehouse: Warehouse, path: Path, kind: FileKind,
              chunk_rows: int = DEFAULT_CHUNK_ROWS, progress: bool | None = None,
              max_shrink: float | None = MAX_SHRINK) -> FileResult:
    """Load one file, all or nothing. A refused file is audited `refused`, a file that fails
    for any other reason `failed` (and rolled back); only a warehouse that stops answering
    ends the run (WarehouseLost)."""
    started = time.monotonic()
    audit = Audit(load_id=uuid.uuid4().hex, file_name=path.name, file_kind=kind.name,
                  file_sha256="", started_at=_now(), source_folder=str(path.parent.resolve()))
    result = FileResult(audit)
    recorded = False
    try:
        audit.file_sha256, encoding = sha256_and_encoding(path)
        previous = warehouse.last_load(path.name)
        if previous is not None and previous.file_sha256 == audit.file_sha256:
            audit.status, audit.finished_at = "unchanged", _now()
            audit.message = "same content as the last load of this file name: nothing to do"
        warehouse.record_start(audit)
        recorded = True
        if audit.status == "unchanged":
            warehouse.record_outcome(audit)
            return result
        _load_new_version(warehouse, path, kind, encoding, previous, result, chunk_rows,
                          progress, max_shrink)
    except Exception as exc:  # noqa: BLE001 - any failure of one file: audited, run goes on
        refused = isinstance(exc, FileRefused)
        audit.status, audit.finished_at = ("refused" if refused else "failed"), _now()
        audit.message = str(exc) if refused else failure_message(exc)
        # Nothing of the file was kept: the audit counts none of its rows.
        audit.rows_read = audit.rows_loaded = audit.rows_rejected = audit.rows_duplicate = 0
        _record_end(warehouse, audit, recorded, exc)
    result.seconds = time.monotonic() - started
    return result


def _record_end(warehouse: Warehouse, audit: Audit, recorded: bool, cause: Exception) -> None:
    """The outcome of a file that did not load; a warehouse that cannot take even this is lost."""
    try:
        if not recorded:
            warehouse.record_start(audit)
        warehouse.record_outcome(audit)
    except Exception as exc:  # noqa: BLE001 - the connection or the database itself is gone
        raise WarehouseLost(
            f"lost the warehouse while loading {audit.file_name} ({short_error(cause)}; then "
            f"{short_error(exc)}); nothing of {audit.file_name} was kept. Check that the database "
            "is up, then run the load again (files already loaded are skipped as unchanged)"
        ) from None


def _load_new_version(warehouse: Warehouse, path: Path, kind: FileKind, encoding: str | None,
                      previous: PreviousLoad | None, result: FileResult, chunk_rows: int,
                      progress: bool | None, max_shrink: float | None) -> None:
    audit = result.audit
    workdir = new_workdir()
    staged: NativeFile | None = None
    bar = Progress(path.name, path.stat().st_size, enabled=progress)
    try:
        refuse_unreadable(path, encoding)
        audit.encoding = encoding
        if audit.encoding != "utf-8-sig":
            result.notices.append(f"{path.name}: not UTF-8; read as {audit.encoding}")
        rejects = _CountingRejects(Rejects(audit.load_id, path.name), result.reasons)
        # On DuckDB, DuckDB's own reader takes a file that qualifies (loader/native.py), read
        # before the transaction: a file its reader refuses leaves nothing to undo.
        staged = _stage_natively(warehouse, kind, path, audit.encoding)
        load = warehouse.begin_file(kind, audit, replacing=previous is not None)
        try:
            if staged is not None:
                landed = staged.land(load, rejects, audit.file_name, audit.started_at)
                audit.rows_read, audit.rows_rejected = landed.rows_read, landed.rows_rejected
                report = landed.duplicates  # their lines were left out of the insert
                bar.update(path.stat().st_size)
            else:
                report = _parse_in_child(load, kind, path, audit, rejects, workdir, result,
                                         chunk_rows, bar)
            _settle_duplicates(report, path, audit.encoding, audit, rejects, kind.key)
            audit.rows_loaded = audit.rows_read - audit.rows_rejected - audit.rows_duplicate
            # Decided before the earlier version's rows are touched: they go only in commit.
            refusal = shrink_refusal(path.name, previous, audit.rows_loaded, max_shrink)
            if refusal is not None:
                raise ShrinkRefused(refusal)
            reject_file = StagingFile(workdir / "rejects.csv")
            rejects.inner.write(path, audit.encoding, reject_file)
            reject_file.close()
            load.add_rejects(reject_file.path)
            audit.status, audit.finished_at = "loaded", _now()
            load.commit(audit)
        except BaseException:
            audit.status = "started"  # until load_file records why
            try:
                load.rollback()
            except Exception:  # noqa: BLE001 - a dropped connection rolls back on the server
                pass
            raise
        if previous is not None and previous.source_folder not in (None, audit.source_folder):
            result.replaced_from = (previous.source_folder, previous.rows_loaded)
    finally:
        if staged is not None:
            staged.close()
        bar.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _stage_natively(warehouse: Warehouse, kind: FileKind, path: Path,
                    encoding: str) -> "NativeFile | None":
    """The file in DuckDB's hands when the warehouse is DuckDB and the file qualifies."""
    if not isinstance(warehouse, DuckDBWarehouse):
        return None
    # Imported here: numpy comes with it, which a MySQL/MariaDB load never needs.
    from loader.native import NativeFile, enabled

    return NativeFile.stage(warehouse.con, kind, path, encoding) if enabled() else None


def _parse_in_child(load: FileLoad, kind: FileKind, path: Path, audit: Audit,
                    rejects: "_CountingRejects", workdir: Path, result: FileResult,
                    chunk_rows: int, bar: Progress) -> DuplicateReport:
    """The per-row path: a child process parses and writes the chunks while this one loads
    them; the lines of repeated keys are then removed."""
    parse = ChildParse(kind, path, audit.encoding, audit, rejects, workdir, result.notices,
                       chunk_rows, on_bytes=bar.update)
    for chunk in parse.chunks():
        load.add_chunk(chunk)
    report = parse.duplicates
    if report.lines_to_remove:
        load.remove_lines(report.lines_to_remove)
    return report


@dataclass
class _CountingRejects:
    """Rejects that also tally their reasons for the end-of-run summary."""

    inner: Rejects
    reasons: Counter[str]

    def add(self, record: Record, column: str | None, reason: str) -> None:
        self.inner.add(record, column, reason)
        self.reasons[reason_key(column, reason)] += 1

    def adopt(self, spool: Path, tally: Counter[str]) -> None:
        self.inner.adopt(spool, tally)
        self.reasons.update(tally)


def discover(data_dir: Path) -> tuple[list[tuple[Path, FileKind]], list[Path]]:
    """Files that match a contract (students first, so a master precedes its facts) and CSVs
    that match none."""
    matched, unknown = [], []
    for path in sorted(data_dir.iterdir()):
        if not path.is_file() or path.suffix.lower() != ".csv":
            continue
        kind = kind_for(path)
        if kind is None:
            unknown.append(path)
        else:
            matched.append((path, kind))
    order = {"students": 0, "attendance": 1, "exam_results": 2, "placements": 3}
    matched.sort(key=lambda pk: (order.get(pk[1].name, 9), pk[0].name))
    return matched, unknown


def summary(results: list[FileResult]) -> list[str]:
    """The one-screen summary: a line per file, then the commonest reject reasons."""
    lines = [f"{'file':36} {'status':10} {'read':>10} {'loaded':>10} {'rejected':>9} "
             f"{'duplicate':>9} {'rows/s':>9}"]
    for r in results:
        a = r.audit
        rate = f"{a.rows_read / r.seconds:,.0f}" if r.seconds and a.rows_read else "-"
        lines.append(f"{a.file_name[:36]:36} {a.status:10} {a.rows_read:>10,} "
                     f"{a.rows_loaded:>10,} {a.rows_rejected:>9,} {a.rows_duplicate:>9,} {rate:>9}")
        if a.status in ("refused", "unchanged", "failed"):
            lines.append(f"    {a.message}")
        for reason, n in r.reasons.most_common(3):
            lines.append(f"    {n:,} × {reason}")
        for notice in r.notices:
            lines.append(f"    notice: {notice}")
    moved = [r for r in results if r.replaced_from is not None]
    if moved:
        lines.append(f"{len(moved)} file(s) replaced rows loaded from another folder:")
        for r in moved:
            folder, rows = r.replaced_from  # type: ignore[misc]
            lines.append(f"    {r.audit.file_name}: {rows:,} rows from {folder} replaced by "
                         f"{r.audit.rows_loaded:,} rows from {r.audit.source_folder}")
    for status in ("failed", "refused"):
        names = [r.audit.file_name for r in results if r.audit.status == status]
        if names:
            lines.append(f"{len(names)} file(s) {status}: {', '.join(names)}")
    return lines


def load_folder(warehouse: Warehouse, data_dir: Path, say: Callable[[str], None] | None = None,
                chunk_rows: int = DEFAULT_CHUNK_ROWS, progress: bool | None = None,
                max_shrink: float | None = MAX_SHRINK) -> list[FileResult]:
    """Load every recognised export of data_dir, one file at a time.

    Files are parsed in child processes (loader/parse_process.py). As with any Python
    multiprocessing, a script that calls this must do so under `if __name__ == "__main__":`
    (a child re-imports the script); `python -m loader`, notebooks and pytest need nothing."""
    say = say or (lambda line: print(line, file=sys.stderr))
    matched, unknown = discover(data_dir)
    for path in unknown:
        say(f"skipped {path.name}: the name matches no file kind (students_master*, "
            "attendance_*, exam_results_*, placements_*)")
    if not matched:
        raise FileRefused(f"{data_dir}: no CSV file matches a known file kind")
    stale = remove_stale_workdirs()
    if stale:
        say(f"removed {len(stale)} staging folder(s) that stopped loaders left in "
            f"{stale[0].parent}")
    start_parse_server()
    warehouse.ensure_raw_tables()
    results = [load_file(warehouse, path, kind, chunk_rows, progress, max_shrink)
               for path, kind in matched]
    for line in summary(results):
        say(line)
    return results
