#!/usr/bin/env python3
"""The student_hash key: generate one, install it in a warehouse, show or remove it.

    python scripts/privacy/hash_key.py generate KEY_FILE          # a new random key, mode 0600
    python scripts/privacy/hash_key.py install [--target T] [--profiles-dir D]
    python scripts/privacy/hash_key.py status  [--target T] [--profiles-dir D]
    python scripts/privacy/hash_key.py remove  [--target T] [--profiles-dir D]  # back to compatibility mode

The key comes from the file named by $AKTU_STUDENT_HASH_KEY_FILE (or --key-file), else from
$AKTU_STUDENT_HASH_KEY: its text, surrounding whitespace stripped, as UTF-8 bytes, at least 32
characters. `generate` writes 64 random hex characters (256 bits).

`install` never sends the key. It derives HMAC-SHA256's two key blocks (RFC 2104: the key, hashed
first if longer than 64 bytes, zero-padded to 64 bytes, xor 0x36 and xor 0x5c), and writes them
as hex with a non-secret key id into <schema>_private.student_hash_key, replacing what was there:
  - MySQL/MariaDB: by LOAD DATA LOCAL INFILE from a pipe, so the values are not part of any SQL
    statement's text (general/slow query logs, performance_schema, SHOW PROCESSLIST) and never
    touch the disk on the client;
  - DuckDB: as bound parameters of a prepared statement (DuckDB keeps no query log).
dbt then reads the blocks from that table (macros/student_hash.sql); see docs/privacy.md.

Connection settings come from the dbt profile, found as dbt finds it (loader/profiles.py). Run it
as the dbt account (scripts/privacy/accounts.py gives it all privileges on the _private schema).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import secrets
import stat
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_DIR))

from loader.profiles import ProfileError, Target, load_target  # noqa: E402

KEY_ENV = "AKTU_STUDENT_HASH_KEY"
KEY_FILE_ENV = "AKTU_STUDENT_HASH_KEY_FILE"
TABLE = "student_hash_key"
MIN_KEY_CHARS = 32
KEY_ID_LABEL = b"aktu_dw student_hash key id v1"
BLOCK = 64  # SHA-256's block size in bytes


class KeyError_(Exception):
    """The key is missing, unreadable or too weak."""


@dataclass(frozen=True)
class DerivedKey:
    """What the warehouse gets: secret-equivalent blocks plus a non-secret id."""

    key_id: str
    ipad_hex: str
    opad_hex: str

    def secrets(self) -> list[str]:
        return [self.ipad_hex, self.opad_hex]


def derive(key: bytes) -> DerivedKey:
    """HMAC-SHA256's inner and outer key blocks (RFC 2104), and an id that reveals nothing."""
    block = hashlib.sha256(key).digest() if len(key) > BLOCK else key
    block = block.ljust(BLOCK, b"\0")
    ipad = bytes(b ^ 0x36 for b in block)
    opad = bytes(b ^ 0x5C for b in block)
    key_id = hmac.new(key, KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]
    return DerivedKey(key_id=key_id, ipad_hex=ipad.hex(), opad_hex=opad.hex())


def student_hash(key: bytes | None, college_code: str, roll_no: str, dob: str) -> str:
    """Python reference: keyed HMAC-SHA256, or the notebook's SHA-256 without a key."""
    message = f"{college_code}-{roll_no}-{dob}".encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def read_key(key_file: str | None = None) -> bytes:
    """The operator's key, from a file outside the repository or from the environment."""
    key_file = key_file or os.environ.get(KEY_FILE_ENV)
    if key_file:
        path = Path(key_file).expanduser()
        if _inside(path, PROJECT_DIR):
            raise KeyError_(f"{path} is inside the project folder {PROJECT_DIR}: keep the key "
                            "outside the repository (e.g. /etc/aktu/student_hash.key)")
        try:
            mode = path.stat().st_mode
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise KeyError_(f"cannot read the key file {path}: {exc.strerror}") from None
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            print(f"warning: {path} is readable by other users (mode {stat.filemode(mode)}); "
                  f"chmod 600 it", file=sys.stderr)
        source = str(path)
    elif os.environ.get(KEY_ENV):
        text, source = os.environ[KEY_ENV], f"${KEY_ENV}"
    else:
        raise KeyError_(f"no key: set {KEY_FILE_ENV} to a key file outside the repository "
                        f"(create one with: {sys.argv[0]} generate FILE) or set {KEY_ENV}")
    key = text.strip()
    if len(key) < MIN_KEY_CHARS:
        raise KeyError_(f"the key from {source} has {len(key)} characters; use at least "
                        f"{MIN_KEY_CHARS} random ones (generate: 64 hex characters, 256 bits)")
    return key.encode("utf-8")


def key_schema(target: Target) -> str:
    suffix = "_private"
    try:
        project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
        suffix = (project.get("vars") or {}).get("aktu_privacy_key_schema_suffix", suffix)
    except (OSError, yaml.YAMLError):
        pass
    return f"{target.schema}{suffix}"


# --- DuckDB -----------------------------------------------------------------------------------

def _duckdb_install(target: Target, schema: str, derived: DerivedKey, installed_at: str) -> None:
    import duckdb

    con = duckdb.connect(target.path)
    try:
        con.execute(f'create schema if not exists "{schema}"')
        con.execute("begin transaction")
        con.execute(f'create or replace table "{schema}"."{TABLE}" (key_id varchar not null, '
                    "ipad_hex varchar not null, opad_hex varchar not null, "
                    "installed_at varchar not null)")
        con.execute(f'insert into "{schema}"."{TABLE}" values (?, ?, ?, ?)',
                    [derived.key_id, derived.ipad_hex, derived.opad_hex, installed_at])
        con.execute("commit")
    finally:
        con.close()


def _duckdb_query(target: Target, sql: str, read_only: bool = True) -> list[tuple]:
    import duckdb

    if not Path(target.path).is_file():
        raise KeyError_(f"no DuckDB warehouse at {target.path}")
    con = duckdb.connect(target.path, read_only=read_only)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --- MySQL / MariaDB --------------------------------------------------------------------------

def _mysql_connect(target: Target, local_infile: bool = False):
    import pymysql

    return pymysql.connect(host=target.host, port=target.port, user=target.user,
                           password=target.password, charset="utf8mb4", autocommit=True,
                           local_infile=local_infile)


class _PipeFile:
    """Hand LOAD DATA LOCAL a path whose content never touches the disk: /dev/fd/N of a pipe."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.read_fd, self.write_fd = os.pipe()
        self.writer = threading.Thread(target=self._write, daemon=True)

    def _write(self) -> None:
        try:
            os.write(self.write_fd, self.data)
        finally:
            os.close(self.write_fd)

    def __enter__(self) -> str:
        self.writer.start()
        return f"/dev/fd/{self.read_fd}"

    def __exit__(self, *exc: object) -> None:
        self.writer.join(timeout=5)
        os.close(self.read_fd)


def _mysql_install(target: Target, schema: str, derived: DerivedKey, installed_at: str,
                   no_binlog: bool = False) -> None:
    line = f"{derived.key_id},{derived.ipad_hex},{derived.opad_hex},{installed_at}\n".encode()
    if not Path("/dev/fd").is_dir():
        raise KeyError_("this platform has no /dev/fd; install the key from Linux or macOS")
    con = _mysql_connect(target, local_infile=True)
    try:
        with con.cursor() as cur:
            if no_binlog:  # keep the blocks out of the binary log (needs a DBA's privilege)
                cur.execute("set session sql_log_bin = 0")
            cur.execute(f"create database if not exists `{schema}` "
                        "character set utf8mb4 collate utf8mb4_bin")
            cur.execute(f"create table if not exists `{schema}`.`{TABLE}` ("
                        "key_id char(16) not null, ipad_hex char(128) not null, "
                        "opad_hex char(128) not null, installed_at char(19) not null"
                        ") engine=InnoDB default charset=ascii collate=ascii_bin")
            cur.execute("start transaction")
            cur.execute(f"delete from `{schema}`.`{TABLE}`")
            with _PipeFile(line) as path:
                try:
                    cur.execute(f"load data local infile %s into table `{schema}`.`{TABLE}` "
                                "character set ascii fields terminated by ',' "
                                "lines terminated by '\\n' "
                                "(key_id, ipad_hex, opad_hex, installed_at)", (path,))
                except Exception as exc:  # noqa: BLE001 - explain the usual cause
                    cur.execute("rollback")
                    raise KeyError_(
                        f"LOAD DATA LOCAL INFILE was refused ({exc}). The key blocks are sent "
                        "that way so that no statement text carries them; allow it on the "
                        "server (MySQL 8: SET GLOBAL local_infile = 1). Refusing to fall back "
                        "to an INSERT, which the query logs would record in clear.") from None
                loaded = cur.rowcount
                cur.execute("show warnings")
                warnings = cur.fetchall()
            if loaded != 1 or warnings:
                cur.execute("rollback")
                raise KeyError_(f"the key table did not take the key (rows {loaded}, "
                                f"warnings {warnings})")
            cur.execute("commit")
    finally:
        con.close()


def _mysql_query(target: Target, sql: str) -> list[tuple]:
    con = _mysql_connect(target)
    try:
        with con.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())
    finally:
        con.close()


# --- commands ---------------------------------------------------------------------------------

def _table_exists(target: Target, schema: str) -> bool:
    sql = ("select count(*) from information_schema.tables "
           f"where table_schema = '{schema}' and table_name = '{TABLE}'")
    rows = _duckdb_query(target, sql) if target.type == "duckdb" else _mysql_query(target, sql)
    return bool(rows[0][0])


def install(target: Target, key: bytes, no_binlog: bool = False) -> DerivedKey:
    derived = derive(key)
    schema = key_schema(target)
    installed_at = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    if target.type == "duckdb":
        _duckdb_install(target, schema, derived, installed_at)
    else:
        _mysql_install(target, schema, derived, installed_at, no_binlog)
    return derived


def status(target: Target) -> tuple[str, str] | None:
    schema = key_schema(target)
    if not _table_exists(target, schema):
        return None
    q = '"' if target.type == "duckdb" else "`"
    sql = f"select key_id, installed_at from {q}{schema}{q}.{q}{TABLE}{q}"
    rows = _duckdb_query(target, sql) if target.type == "duckdb" else _mysql_query(target, sql)
    return (rows[0][0], rows[0][1]) if len(rows) == 1 else None


def remove(target: Target) -> None:
    schema = key_schema(target)
    q = '"' if target.type == "duckdb" else "`"
    sql = f"drop table if exists {q}{schema}{q}.{q}{TABLE}{q}"
    if target.type == "duckdb":
        _duckdb_query(target, sql, read_only=False)
    else:
        _mysql_query(target, sql)


def generate(path: Path) -> None:
    if _inside(path, PROJECT_DIR):
        raise KeyError_(f"{path} is inside the project folder: keep the key outside the repository")
    if path.exists():
        raise KeyError_(f"{path} exists; not overwriting a key (rotating? see docs/privacy.md)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_hex(32) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hash_key.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write a new random key to a file (mode 0600)")
    gen.add_argument("key_file", type=Path)
    for name, text in (("install", "derive the key blocks and store them in the warehouse"),
                       ("status", "show the installed key's id (never the key)"),
                       ("remove", "drop the key table: student_hash goes back to compatibility mode")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--target", default=None)
        p.add_argument("--profiles-dir", default=None)
        if name == "install":
            p.add_argument("--key-file", default=None,
                           help=f"key file (default ${KEY_FILE_ENV}, else ${KEY_ENV})")
            p.add_argument("--no-binlog", action="store_true",
                           help="MySQL/MariaDB: SET SESSION sql_log_bin = 0 first, so the key "
                                "blocks stay out of the binary log (needs SUPER/BINLOG ADMIN)")
    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            generate(args.key_file)
            print(f"wrote a new key to {args.key_file} (mode 0600); key id "
                  f"{derive(read_key(str(args.key_file))).key_id}")
            return 0
        target = load_target(args.target, args.profiles_dir, PROJECT_DIR)
        if target.type not in ("duckdb", "mysql", "mariadb"):
            raise KeyError_(f"target {target.name} is {target.type}: this script installs keys "
                            "on DuckDB, MySQL and MariaDB only")
        where = f"{target.name}:{key_schema(target)}.{TABLE}"
        if args.command == "install":
            derived = install(target, read_key(args.key_file), args.no_binlog)
            print(f"installed student_hash key id {derived.key_id} in {where}; the next dbt run "
                  "builds keyed pseudonyms (rebuild everything: docs/privacy.md, key rotation)")
        elif args.command == "status":
            found = status(target)
            print(f"{where}: key id {found[0]} installed {found[1]} UTC" if found
                  else f"{where}: no key installed (student_hash is in compatibility mode)")
        else:
            remove(target)
            print(f"removed {where}; student_hash is back in compatibility mode on the next run")
        return 0
    except (KeyError_, ProfileError) as exc:
        print(f"hash_key: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
