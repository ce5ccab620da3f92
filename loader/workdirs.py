"""The loader's staging folders in the temporary folder, each named after the process that owns it.

A file's normalised chunks (roll numbers, dates of birth) are staged in `aktu-load-<pid>-*`
while it loads, and removed afterwards; a loader killed mid-load (kill -9, a crash, a power cut)
leaves its folder behind. The next run removes every such folder whose process has ended, and
never one a running loader still owns.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

PREFIX = "aktu-load-"
_OWNED = re.compile(rf"^{re.escape(PREFIX)}(\d+)-")


def new_workdir() -> Path:
    """A staging folder of this process, in the temporary folder ($TMPDIR)."""
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive, and its folder is not ours to judge
    return True


def remove_stale_workdirs(root: Path | None = None) -> list[Path]:
    """Remove the staging folders of loaders that are no longer running; the folders removed.

    Folders without a pid in their name (loaders before this naming) are left alone: nothing
    tells whether their loader still runs."""
    root = Path(root or tempfile.gettempdir())
    removed = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _OWNED.match(entry.name)
        if match is None or not entry.is_dir() or entry.is_symlink():
            continue
        if not _alive(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            if not entry.exists():
                removed.append(entry)
    return removed
