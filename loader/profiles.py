"""Read the dbt profile, found where dbt finds it, so credentials live in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml

DEFAULT_PROFILE = "aktu_dw"


class ProfileError(Exception):
    pass


@dataclass(frozen=True)
class SparkSettings:
    """A `type: spark` target (dbt-spark's keys; loader/spark_warehouse.py reads them).

    method: session (a Spark inside this process: pyspark), thrift (a Spark Thrift server) or
    http (a Databricks-style cluster endpoint over HTTPS). staging_dir / staging_uri: where the
    loader writes each file's Parquet and where Spark reads it (the same folder as this machine
    and the cluster see it, e.g. a mounted bucket and its s3a:// address); see docs/spark.md."""

    method: str
    host: str = "NA"
    port: int = 443
    user: str | None = None
    password: str | None = None
    token: str | None = None
    cluster: str | None = None
    endpoint: str | None = None
    organization: str = "0"
    auth: str | None = None
    kerberos_service_name: str | None = None
    use_ssl: bool = False
    connect_retries: int = 0
    connect_timeout: int = 10
    server_side_parameters: tuple[tuple[str, str], ...] = ()
    staging_dir: str | None = None
    staging_uri: str | None = None


@dataclass(frozen=True)
class Target:
    name: str
    type: str  # duckdb | mariadb | mysql | spark
    schema: str
    path: str | None = None  # duckdb
    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "root"
    password: str = ""
    charset: str = "utf8mb4"
    spark: SparkSettings | None = None  # spark

    @property
    def raw_schema(self) -> str:
        """The loader's landing schema: kept apart from every schema dbt writes."""
        return f"{self.schema}_raw"

    @property
    def is_mysql_family(self) -> bool:
        return self.type in ("mysql", "mariadb")


def find_profiles_dir(profiles_dir: str | os.PathLike[str] | None, project_dir: Path) -> Path:
    """dbt's order: --profiles-dir, $DBT_PROFILES_DIR, the project folder, ~/.dbt."""
    candidates: list[Path] = []
    if profiles_dir:
        candidates.append(Path(profiles_dir))
    elif os.environ.get("DBT_PROFILES_DIR"):
        candidates.append(Path(os.environ["DBT_PROFILES_DIR"]))
    else:
        candidates += [project_dir, Path.cwd(), Path.home() / ".dbt"]
    for folder in candidates:
        if (folder / "profiles.yml").is_file():
            return folder
    tried = ", ".join(str(c / "profiles.yml") for c in candidates)
    raise ProfileError(
        f"no profiles.yml found (tried {tried}); copy profiles.example.yml to profiles.yml"
    )


def _env_var(name: str, default: Any = None) -> str:
    if name in os.environ:
        return os.environ[name]
    if default is None:
        raise ProfileError(f"profiles.yml needs environment variable {name}, which is not set")
    return str(default)


def _render(value: Any, env: jinja2.Environment) -> Any:
    if isinstance(value, str) and "{{" in value:
        return env.from_string(value).render()
    if isinstance(value, dict):
        return {k: _render(v, env) for k, v in value.items()}
    return value


def load_target(
    target_name: str | None = None,
    profiles_dir: str | os.PathLike[str] | None = None,
    project_dir: Path | None = None,
    profile_name: str = DEFAULT_PROFILE,
) -> Target:
    project_dir = project_dir or Path.cwd()
    folder = find_profiles_dir(profiles_dir, project_dir)
    path = folder / "profiles.yml"
    profiles = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if profile_name not in profiles:
        raise ProfileError(f"{path}: no profile named {profile_name!r}")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.globals["env_var"] = _env_var
    profile = profiles[profile_name]
    name = target_name or _render(profile.get("target", "duckdb"), env)
    outputs = profile.get("outputs", {})
    if name not in outputs:
        raise ProfileError(f"{path}: profile {profile_name!r} has no target {name!r} "
                           f"(has: {', '.join(outputs)})")
    out = _render(outputs[name], env)
    kind = out.get("type")
    if kind == "duckdb":
        # A relative path is relative to the working directory, as dbt-duckdb reads it.
        db_path = Path(out.get("path", ":memory:")).expanduser()
        return Target(name=name, type=kind, schema=out.get("schema", "main"), path=str(db_path))
    if kind in ("mysql", "mariadb"):
        return Target(
            name=name,
            type=kind,
            schema=out["schema"],
            host=out.get("server", "127.0.0.1"),
            port=int(out.get("port", 3306)),
            user=out.get("username", "root"),
            password=out.get("password", "") or "",
            charset=out.get("charset", "utf8mb4") or "utf8mb4",
        )
    if kind == "spark":
        return _spark_target(path, name, out)
    raise ProfileError(f"{path}: target {name!r} has type {kind!r}; the loader knows "
                       "duckdb, mariadb, mysql and spark")


def _spark_target(path: Path, name: str, out: dict[str, Any]) -> Target:
    method = str(out.get("method") or "")
    if method not in ("session", "thrift", "http"):
        raise ProfileError(f"{path}: target {name!r} (type spark) has method {method!r}; the loader "
                           "knows session, thrift and http")
    if "schema" not in out:
        raise ProfileError(f"{path}: target {name!r} (type spark) has no schema")

    def opt(key: str) -> str | None:
        value = out.get(key)
        return None if value in (None, "") else str(value)

    settings = SparkSettings(
        method=method,
        host=str(out.get("host", "NA")),
        port=int(out.get("port", 443)),
        user=opt("user"),
        password=opt("password"),
        token=opt("token"),
        cluster=opt("cluster"),
        endpoint=opt("endpoint"),
        organization=str(out.get("organization", "0")),
        auth=opt("auth"),
        kerberos_service_name=opt("kerberos_service_name"),
        use_ssl=str(out.get("use_ssl", False)).lower() in ("true", "1", "yes"),
        connect_retries=int(out.get("connect_retries", 0)),
        connect_timeout=int(out.get("connect_timeout", 10)),
        server_side_parameters=tuple(
            (str(k), str(v)) for k, v in (out.get("server_side_parameters") or {}).items()),
        staging_dir=opt("loader_staging_dir"),
        staging_uri=opt("loader_staging_uri"),
    )
    return Target(name=name, type="spark", schema=str(out["schema"]), spark=settings)
