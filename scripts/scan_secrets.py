#!/usr/bin/env python3
"""Fail when a file that is, or could be, committed holds a secret. Standard library only.

    python3 scripts/scan_secrets.py [ROOT]      # default: the repository this script is in

Scans, in a git work tree, the tracked files plus the untracked files git does not ignore (what
`git add -A` would commit); elsewhere every file under ROOT except build and virtualenv folders.
Binary files and files over 2 MB are skipped. Finds private keys, cloud/VCS tokens, passwords and
keys written as literals (assignments, YAML, URLs, IDENTIFIED BY), and key-like files (*.pem,
*.key, id_rsa, .env). Findings print as path:line: rule, with the value redacted; exit 1.

A line that must hold such a literal (a documented fake) can carry the marker
`scan-secrets: allow`. Environment lookups and templates ({{ env_var(...) }}, ${VAR},
os.environ[...], <placeholder>) are not literals and are not reported.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

MAX_BYTES = 2_000_000
ALLOW_MARKER = "scan-secrets: allow"
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "target", "logs", "dbt_packages",
             "__pycache__", ".pytest_cache", "build", "dist"}

SECRET_NAME = (r"(?:password|passwd|pwd|secret|secret_key|api_?key|access_?key|auth_?token|"
               r"token|private_?key|client_?secret|hash_?key|student_hash_key|hmac_?key)")
PLACEHOLDER = re.compile(r"^(?:…|\.\.\.|\$\{?[A-Za-z_]|\{\{|\{%|<[^>]*>$|%\(|\*+$|x+$|changeme$|"
                         r"your[_-]|example|dummy|placeholder|redacted|none$|null$|true$|false$)",
                         re.IGNORECASE)

# (rule, pattern, group holding the secret value or 0)
RULES: list[tuple[str, re.Pattern[str], int]] = [
    ("private key", re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----"), 0),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), 0),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b"), 0),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), 0),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"), 0),
    ("Stripe live key", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}\b"), 0),
    ("credentials in a URL",
     re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:([^@\s'\"/]{3,})@[^\s'\"]"), 1),
    ("password in IDENTIFIED BY", re.compile(r"(?i)\bidentified\s+by\s+'([^']{3,})'"), 1),
    ("secret assigned as a literal",
     re.compile(r"(?i)\b[A-Za-z0-9_]*" + SECRET_NAME + r"[A-Za-z0-9_]*\b[\"']?\s*(?::=|=|:)\s*"
                r"[bru]?[\"']([^\"'\s]{6,})[\"']"), 1),
    ("secret in YAML or an env file",
     re.compile(r"(?i)^\s*(?:export\s+)?[A-Za-z0-9_]*" + SECRET_NAME + r"[A-Za-z0-9_]*\s*[:=]\s*"
                r"([^\s\"'#{$<][^\s#]{5,})\s*(?:#.*)?$"), 1),
]
# Unquoted `name: value` / `NAME=value` is a literal in config files, but code in source files.
CODE_SUFFIXES = {".py", ".sql", ".js", ".ts", ".java", ".go", ".rb", ".rs", ".c", ".h", ".cpp"}
KEY_FILE = re.compile(r"(?:^|/)(?:id_(?:rsa|dsa|ecdsa|ed25519)|[^/]+\.(?:pem|key|p12|pfx|jks|keystore)"
                      r"|\.env(?:\.[A-Za-z0-9_-]+)?)$")
KEY_FILE_OK = re.compile(r"\.env\.(?:example|sample|template)$")


def candidate_files(root: Path) -> list[Path]:
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], capture_output=True, check=True).stdout
        names = [n for n in out.decode("utf-8", "surrogateescape").split("\0") if n]
        return sorted({root / n for n in names if (root / n).is_file()})
    except (OSError, subprocess.CalledProcessError):
        files = []
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
            files += [Path(folder) / n for n in names]
        return sorted(files)


def _redact(value: str) -> str:
    return (value[:3] + "…") if len(value) > 6 else "…"


def _is_literal(value: str) -> bool:
    return not PLACEHOLDER.search(value) and "env_var(" not in value and "environ" not in value


def scan_text(text: str, code: bool = False) -> list[tuple[int, str, str]]:
    rules = [r for r in RULES if not (code and r[0] == "secret in YAML or an env file")]
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if ALLOW_MARKER in line:
            continue
        for rule, pattern, group in rules:
            for match in pattern.finditer(line):
                value = match.group(group)
                if group and not _is_literal(value):
                    continue
                found.append((number, rule, _redact(value)))
    return found


def scan(root: Path) -> list[str]:
    findings = []
    for path in candidate_files(root):
        rel = path.relative_to(root).as_posix()
        if KEY_FILE.search(rel) and not KEY_FILE_OK.search(rel):
            findings.append(f"{rel}: key-like file name (keep keys and .env files out of the repo)")
        try:
            if path.stat().st_size > MAX_BYTES:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue
        code = path.suffix.lower() in CODE_SUFFIXES
        for number, rule, excerpt in scan_text(data.decode("utf-8", "replace"), code):
            findings.append(f"{rel}:{number}: {rule} ({excerpt})")
    return findings


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[1]
    if not root.is_dir():
        print(f"scan_secrets: {root} is not a folder", file=sys.stderr)
        return 2
    findings = scan(root.resolve())
    for line in findings:
        print(line)
    if findings:
        print(f"scan_secrets: {len(findings)} possible secret(s) in {root}; remove them (and "
              f"rotate them: they may already be in git history), or mark a deliberate fake "
              f"with '{ALLOW_MARKER}'", file=sys.stderr)
        return 1
    print(f"scan_secrets: no secrets found in {len(candidate_files(root.resolve()))} files "
          f"under {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
