#!/usr/bin/env python3
"""Least-privilege accounts on MySQL 8 / MariaDB 10.6+ for one warehouse (docs/privacy.md).

    python scripts/privacy/accounts.py create [--schema S] [--analyst-user NAME ...] [--dry-run]
    python scripts/privacy/accounts.py show   [--schema S]      # SHOW GRANTS for each account
    python scripts/privacy/accounts.py drop   [--schema S] [--analyst-user NAME ...]

Run as a DBA (an account that may CREATE USER and GRANT): connection settings come from the dbt
profile (loader/profiles.py), so e.g. `AKTU_DB_USER=root python scripts/privacy/accounts.py create`.

  loader account  (--loader-user, aktu_loader): CREATE, SELECT, INSERT, UPDATE, DELETE on
                  <schema>_raw only: it lands files and keeps its audit; it reads nothing else.
                  On MySQL 8 also XA_RECOVER_ADMIN, to end a killed load's prepared lanes
                  (not tested here: no MySQL 8 server).
  dbt account     (--dbt-user, aktu_dbt): SELECT on <schema>_raw; ALL on every schema dbt writes
                  (<schema>_staging, _intermediate, _marts, _reference, _dbt_test__audit, _private
                  and any other `+schema` in dbt_project.yml); GRANT OPTION on <schema>_marts only,
                  so that its on-run-end hook (macros/privacy/grants.sql) can grant the marts.
  analyst role    (--analyst-role, aktu_analyst): nothing from this script. dbt's on-run-end hook
                  grants it SELECT on <schema>_marts (set AKTU_PRIVACY_ANALYST_ROLE for dbt).
  analyst users   (--analyst-user, repeatable): get the role as their default role.

Passwords come from environment variables, never from arguments or files:
AKTU_LOADER_PASSWORD, AKTU_DBT_PASSWORD, AKTU_ANALYST_PASSWORD (every --analyst-user of this call).
They are sent as mysql_native_password hashes (IDENTIFIED WITH mysql_native_password AS '*...'),
so no statement carries a password in clear; use long random passwords. A new account needs its
password variable; for an existing one the variable is optional (set: the password is changed).
Re-running is safe: everything is IF NOT EXISTS or an idempotent GRANT. Privileges granted by
hand are not revoked; `show` lists what each account holds.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_DIR))

from loader.profiles import ProfileError, Target, load_target  # noqa: E402

NAME = re.compile(r"^[A-Za-z0-9_]{1,32}$")
HOST = re.compile(r"^[A-Za-z0-9_.%:-]{1,60}$")
LOADER_PRIVILEGES = "CREATE, SELECT, INSERT, UPDATE, DELETE"


class AccountsError(Exception):
    pass


def native_password_hash(password: str) -> str:
    """mysql_native_password's stored form: '*' + upper hex SHA1(SHA1(password))."""
    return "*" + hashlib.sha1(hashlib.sha1(password.encode("utf-8")).digest()).hexdigest().upper()


def schema_pattern(schema: str) -> str:
    """A schema name as a GRANT ... ON `db`.* pattern: _ and % are wildcards there."""
    return schema.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")


def _project() -> dict:
    return yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8")) or {}


def _custom_schemas(node: object) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("+schema", "schema") and isinstance(value, str):
                found.add(value)
            else:
                found |= _custom_schemas(value)
    return found


def dbt_schemas(schema: str, extra: list[str]) -> tuple[str, list[str]]:
    """(raw schema, schemas dbt writes), as dbt names them: <schema>_<custom schema>."""
    project = _project()
    vars_ = project.get("vars") or {}
    raw = schema + vars_.get("aktu_raw_schema_suffix", "_raw")
    custom: set[str] = {"dbt_test__audit"} | set(extra)
    for section in ("models", "seeds", "snapshots", "tests"):
        custom |= _custom_schemas(project.get(section) or {})
    written = sorted(f"{schema}_{c}" for c in custom)
    written.append(schema + vars_.get("aktu_privacy_key_schema_suffix", "_private"))
    return raw, sorted(set(written) - {raw})


@dataclass
class Plan:
    """Statements to run, with a printable twin that shows no password hash."""

    statements: list[tuple[str, str]]

    def add(self, sql: str, shown: str | None = None) -> None:
        self.statements.append((sql, shown or sql))


def _account(name: str, host: str) -> str:
    return f"'{name}'@'{host}'"


def _user_exists(cur, name: str, host: str) -> bool:
    cur.execute("select count(*) from mysql.user where user = %s and host = %s", (name, host))
    return bool(cur.fetchone()[0])


def _identify(plan: Plan, cur, name: str, host: str, env: str) -> None:
    """CREATE USER for a new account, ALTER USER when its password variable is set."""
    password = os.environ.get(env, "")
    exists = cur is not None and _user_exists(cur, name, host)
    if cur is not None and not password:
        if exists:
            return
        raise AccountsError(f"account {name}@{host} does not exist: set {env} to its password")
    account = _account(name, host)
    verb = "alter user" if exists else "create user if not exists"
    auth = f"identified with mysql_native_password as '{native_password_hash(password)}'"
    shown = f"identified with mysql_native_password as '<hash of ${env}>'"
    plan.add(f"{verb} {account} {auth}", f"{verb} {account} {shown}")


def build_plan(args: argparse.Namespace, target: Target, cur) -> Plan:
    raw, written = dbt_schemas(args.schema, args.extra_schema)
    marts = f"{args.schema}_marts"
    plan = Plan([])
    loader, dbt = _account(args.loader_user, args.host), _account(args.dbt_user, args.host)

    _identify(plan, cur, args.loader_user, args.host, "AKTU_LOADER_PASSWORD")
    plan.add(f"grant {LOADER_PRIVILEGES} on `{schema_pattern(raw)}`.* to {loader}")
    if target.type == "mysql":
        # MySQL 8 lists prepared XA transactions only to XA_RECOVER_ADMIN: the loader ends what a
        # killed loader left prepared (loader/warehouse.py, recover). MariaDB needs nothing more.
        plan.add(f"grant XA_RECOVER_ADMIN on *.* to {loader}")

    _identify(plan, cur, args.dbt_user, args.host, "AKTU_DBT_PASSWORD")
    plan.add(f"grant select on `{schema_pattern(raw)}`.* to {dbt}")
    for schema in written:
        option = " with grant option" if schema == marts else ""
        plan.add(f"grant all privileges on `{schema_pattern(schema)}`.* to {dbt}{option}")

    plan.add(f"create role if not exists `{args.analyst_role}`")
    for user in args.analyst_user:
        _identify(plan, cur, user, args.host, "AKTU_ANALYST_PASSWORD")
        analyst = _account(user, args.host)
        plan.add(f"grant `{args.analyst_role}` to {analyst}")
        word = "to" if target.type == "mysql" else "for"  # MySQL 8: TO; MariaDB: FOR
        plan.add(f"set default role `{args.analyst_role}` {word} {analyst}")
    return plan


def _connect(target: Target):
    import pymysql

    return pymysql.connect(host=target.host, port=target.port, user=target.user,
                           password=target.password, charset="utf8mb4", autocommit=True)


def _check_names(args: argparse.Namespace) -> None:
    for name in [args.loader_user, args.dbt_user, args.analyst_role, *args.analyst_user,
                 *args.extra_schema]:
        if not NAME.match(name):
            raise AccountsError(f"{name!r}: use 1-32 letters, digits and underscores")
    if not HOST.match(args.host):
        raise AccountsError(f"{args.host!r} is not a host pattern")
    if not re.match(r"^[A-Za-z0-9_]{1,48}$", args.schema):
        raise AccountsError(f"schema {args.schema!r}: use letters, digits and underscores")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="accounts.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("create", "show", "drop"))
    parser.add_argument("--target", default=None, help="profile target (mariadb or mysql)")
    parser.add_argument("--profiles-dir", default=None)
    parser.add_argument("--schema", default=None, help="warehouse schema (default: the target's)")
    parser.add_argument("--host", default="%", help="account host pattern (default %%)")
    parser.add_argument("--loader-user", default="aktu_loader")
    parser.add_argument("--dbt-user", default="aktu_dbt")
    parser.add_argument("--analyst-role", default="aktu_analyst")
    parser.add_argument("--analyst-user", action="append", default=[])
    parser.add_argument("--extra-schema", action="append", default=[],
                        help="another custom schema dbt writes (<schema>_<this>)")
    parser.add_argument("--dry-run", action="store_true", help="print the statements only")
    args = parser.parse_args(argv)
    try:
        target = load_target(args.target, args.profiles_dir, PROJECT_DIR)
        if not target.is_mysql_family:
            raise AccountsError(f"target {target.name} is {target.type}: DuckDB has no accounts; "
                                "whoever can read the file reads everything (docs/privacy.md)")
        args.schema = args.schema or target.schema
        _check_names(args)
        if args.command == "create" and args.dry_run:
            for _, shown in build_plan(args, target, None).statements:
                print(shown + ";")
            return 0
        con = _connect(target)
        try:
            with con.cursor() as cur:
                if args.command == "create":
                    for sql, shown in build_plan(args, target, cur).statements:
                        print(shown)
                        cur.execute(sql)
                elif args.command == "show":
                    for name in [args.loader_user, args.dbt_user, args.analyst_role,
                                 *args.analyst_user]:
                        who = f"`{name}`" if name == args.analyst_role else _account(name, args.host)
                        try:
                            cur.execute(f"show grants for {who}")
                            print("\n".join(row[0] for row in cur.fetchall()))
                        except Exception as exc:  # noqa: BLE001 - a missing account
                            print(f"-- {name}: {exc}")
                else:
                    for user in [args.loader_user, args.dbt_user, *args.analyst_user]:
                        cur.execute(f"drop user if exists {_account(user, args.host)}")
                    cur.execute(f"drop role if exists `{args.analyst_role}`")
                    print(f"dropped {args.loader_user}, {args.dbt_user}, "
                          f"{', '.join(args.analyst_user) or 'no analyst users'} and role "
                          f"{args.analyst_role}")
        finally:
            con.close()
        return 0
    except (AccountsError, ProfileError) as exc:
        print(f"accounts: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
