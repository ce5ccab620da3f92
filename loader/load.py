"""Load a folder of exports: one atomic, audited, reconciled load per file."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from loader.contracts import FileKind, kind_for
from loader.duplicates import DuplicateReport
from loader.parse_process import ChildParse, start_parse_server
from loader.progress import Progress
from loader.reader import FileRefused, Record, records, refuse_unreadable, sha256_and_encoding
from loader.stage import DEFAULT_CHUNK_ROWS, Rejects, reason_key
from loader.staging_file import StagingFile
from loader.warehouse import Audit, Warehouse


@dataclass
class FileResult:
    audit: Audit
    notices: list[str] = field(default_factory=list)
    seconds: float = 0.0
    reasons: Counter[str] = field(default_factory=Counter)

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


def load_file(warehouse: Warehouse, path: Path, kind: FileKind,
              chunk_rows: int = DEFAULT_CHUNK_ROWS, progress: bool | None = None) -> FileResult:
    started = time.monotonic()
    sha, encoding = sha256_and_encoding(path)
    audit = Audit(load_id=uuid.uuid4().hex, file_name=path.name, file_kind=kind.name,
                  file_sha256=sha, started_at=_now())
    result = FileResult(audit)
    previous = warehouse.last_loaded_sha(path.name)
    if previous == sha:
        audit.status, audit.finished_at = "unchanged", _now()
        audit.message = "same content as the last load of this file name: nothing to do"
        warehouse.record_start(audit)
        warehouse.record_outcome(audit)
        return result
    warehouse.record_start(audit)
    workdir = Path(tempfile.mkdtemp(prefix="aktu-load-"))
    bar = Progress(path.name, path.stat().st_size, enabled=progress)
    try:
        refuse_unreadable(path, encoding)
        audit.encoding = encoding
        if audit.encoding != "utf-8-sig":
            result.notices.append(f"{path.name}: not UTF-8; read as {audit.encoding}")
        rejects = _CountingRejects(Rejects(audit.load_id, path.name), result.reasons)
        load = warehouse.begin_file(kind, audit, replacing=previous is not None)
        try:
            # A child process parses and writes the chunks while this one loads them.
            parse = ChildParse(kind, path, audit.encoding, audit, rejects, workdir,
                               result.notices, chunk_rows, on_bytes=bar.update)
            for chunk in parse.chunks():
                load.add_chunk(chunk)
            report = parse.duplicates
            if report.lines_to_remove:
                load.remove_lines(report.lines_to_remove)
            _settle_duplicates(report, path, audit.encoding, audit, rejects, kind.key)
            audit.rows_loaded = audit.rows_read - audit.rows_rejected - audit.rows_duplicate
            reject_file = StagingFile(workdir / "rejects.csv")
            rejects.inner.write(path, audit.encoding, reject_file)
            reject_file.close()
            load.add_rejects(reject_file.path)
            audit.status, audit.finished_at = "loaded", _now()
            load.commit(audit)
        except BaseException:
            load.rollback()
            raise
    except FileRefused as exc:
        audit.status, audit.finished_at, audit.message = "refused", _now(), str(exc)
        audit.rows_read = audit.rows_loaded = audit.rows_rejected = audit.rows_duplicate = 0
        warehouse.record_outcome(audit)
    finally:
        bar.close()
        shutil.rmtree(workdir, ignore_errors=True)
    result.seconds = time.monotonic() - started
    return result


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
        if a.status in ("refused", "unchanged"):
            lines.append(f"    {a.message}")
        for reason, n in r.reasons.most_common(3):
            lines.append(f"    {n:,} × {reason}")
        for notice in r.notices:
            lines.append(f"    notice: {notice}")
    return lines


def load_folder(warehouse: Warehouse, data_dir: Path, say: Callable[[str], None] | None = None,
                chunk_rows: int = DEFAULT_CHUNK_ROWS,
                progress: bool | None = None) -> list[FileResult]:
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
    start_parse_server()
    warehouse.ensure_raw_tables()
    results = [load_file(warehouse, path, kind, chunk_rows, progress) for path, kind in matched]
    for line in summary(results):
        say(line)
    return results
