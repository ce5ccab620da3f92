"""Parse an export in a child process while this one bulk-loads the chunks it has written.

Parsing is pure Python and holds the GIL, and the MySQL driver streams LOAD DATA LOCAL's file
from Python too: in one process the two take turns. Measured here on MariaDB 10.11, a CPU-bound
Python thread beside a run of LOAD DATA LOCAL made it 3-4x slower, and a CPU-bound process
beside it cost nothing measurable. So the child reads, validates and normalises the file
(loader/stage.py), writes the chunks, then looks for repeated keys in them
(loader/duplicates.py) while the parent is still loading the last chunks; the parent loads each
chunk as soon as it is written.

Children come from a fork server started once per loader process (with the loader's modules
already imported), so a child costs milliseconds and never inherits a database connection.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.forkserver
import signal
import sys
import traceback
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Callable, Iterator

from loader.audit import Audit
from loader.contracts import FileKind
from loader.duplicates import DuplicateReport, find_duplicates
from loader.reader import FileRefused
from loader.stage import Rejects, RejectSink, staged_chunks
from loader.values import excerpt

_CONTEXT = multiprocessing.get_context("forkserver")
# The child's heavy modules (numpy, DuckDB) are imported by the fork server once, not by the
# loader process, which never parses.
_CONTEXT.set_forkserver_preload(["loader.parse_process", "loader.fast_path", "duckdb"])


def start_parse_server() -> None:
    """Start the fork server now, so it imports the loader's modules while this process checks
    the raw tables and hashes the first file, not when the first file's parse is awaited."""
    multiprocessing.forkserver.ensure_running()


def _die_with_parent() -> None:
    """A child whose loader was killed (kill -9) stops too, instead of parsing on for nobody."""
    if sys.platform == "linux":
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _parse(out: Connection, kind: FileKind, path: Path, encoding: str, audit: Audit,
           workdir: Path, chunk_rows: int) -> None:
    """The child: chunk messages as the file is read, then the counts, refusals and duplicates."""
    _die_with_parent()
    try:
        # Rejects go to a file as they are found, which the parent reads once the parse is done:
        # a file with most of its rows refused holds no more memory than a clean one.
        spool = workdir / "rejects-parsed.csv"
        sink, notices, chunks, position = Rejects(audit.load_id, path.name, spool), [], [], [0]
        try:
            for chunk in staged_chunks(kind, path, encoding, audit, sink, workdir, notices,
                                       chunk_rows,
                                       on_bytes=lambda done: position.__setitem__(0, done)):
                chunks.append(chunk)
                out.send(("chunk", chunk, position[0]))
        finally:
            sink.close()
        report = find_duplicates(kind, chunks, workdir)
        out.send(("done", audit.rows_read, audit.rows_rejected, spool, sink.tally, notices,
                  report))
    except FileRefused as exc:
        out.send(("refused", str(exc)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it
        out.send(("error", failure_text(exc)))
    finally:
        out.close()


def failure_text(exc: BaseException) -> str:
    """Where the parse failed and why, without the data: a driver's or the CSV module's message
    may quote whole rows (roll numbers, dates of birth), so it is cut to a short excerpt."""
    frames = traceback.format_tb(exc.__traceback__)
    message = str(exc)
    return ("".join(frames) + f"{type(exc).__name__}: "
            + (message if len(message) <= 2 * 60 and "\n" not in message
               else excerpt(message)))


class ChildParse:
    """One file parsed in a child process: iterate `chunks()` to get each chunk file as soon as
    it is written; afterwards audit.rows_read / rows_rejected are set, the refusals have gone
    to `rejects`, the notices to `notices`, and `duplicates` holds the repeated keys."""

    def __init__(self, kind: FileKind, path: Path, encoding: str, audit: Audit,
                 rejects: RejectSink, workdir: Path, notices: list[str], chunk_rows: int,
                 on_bytes: Callable[[int], None] | None = None) -> None:
        self.kind, self.path, self.encoding, self.audit = kind, path, encoding, audit
        self.rejects, self.workdir, self.notices = rejects, workdir, notices
        self.chunk_rows, self.on_bytes = chunk_rows, on_bytes
        self.duplicates = DuplicateReport()

    def chunks(self) -> Iterator[Path]:
        receive, send = _CONTEXT.Pipe(duplex=False)
        child = _CONTEXT.Process(
            target=_parse, name=f"parse {self.path.name}", daemon=True,
            args=(send, self.kind, self.path, self.encoding, self.audit, self.workdir,
                  self.chunk_rows))
        child.start()
        send.close()  # the child holds the only writing end: its exit reads as end of file
        try:
            while True:
                try:
                    message = receive.recv()
                except EOFError:
                    child.join()
                    raise RuntimeError(f"{self.path.name}: the parsing process ended without "
                                       f"a result (exit code {child.exitcode})") from None
                if message[0] == "chunk":
                    if self.on_bytes is not None:
                        self.on_bytes(message[2])
                    yield message[1]
                elif message[0] == "done":
                    self._finish(*message[1:])
                    return
                elif message[0] == "refused":
                    raise FileRefused(message[1])
                else:
                    raise RuntimeError(f"{self.path.name}: parsing failed:\n{message[1]}")
        finally:
            receive.close()
            if child.is_alive():  # the parent gave up early (a failed load): stop the child
                child.kill()
            child.join()

    def _finish(self, rows_read: int, rows_rejected: int, spool: Path, tally: Counter[str],
                notices: list[str], duplicates: DuplicateReport) -> None:
        self.audit.rows_read, self.audit.rows_rejected = rows_read, rows_rejected
        self.rejects.adopt(spool, tally)  # the child's rejects file, as it wrote it
        self.notices.extend(notices)
        self.duplicates = duplicates
