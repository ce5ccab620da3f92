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
class Target:
    name: str
    type: str  # duckdb | mariadb | mysql
    schema: str
    path: str | None = None  # duckdb
    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "root"
    password: str = ""
    charset: str = "utf8mb4"

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
    raise ProfileError(f"{path}: target {name!r} has type {kind!r}; the loader knows "
                       "duckdb, mariadb and mysql")
