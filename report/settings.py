"""The dbt vars the report draws with, resolved as dbt resolves them: dbt_project.yml's `vars`,
overridden by the same `--vars` YAML a `dbt build --vars ...` was given."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

THRESHOLD_VAR = "aktu_academics_min_attendance_pct"
SMALL_CELL_VAR = "aktu_small_cell_min_students"


class SettingsError(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    min_attendance_pct: float
    small_cell_min_students: int


def _number(name: str, value: Any, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(f"{source}: var {name} is {value!r}; expected a number")
    return float(value)


def load_settings(project_dir: Path, vars_yaml: str | None = None) -> Settings:
    project_file = project_dir / "dbt_project.yml"
    try:
        project = yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(f"{project_file}: cannot read the project's vars ({exc})") from exc
    values: dict[str, Any] = dict(project.get("vars") or {})
    source = {name: str(project_file) for name in values}
    if vars_yaml:
        try:
            overrides = yaml.safe_load(vars_yaml)
        except yaml.YAMLError as exc:
            raise SettingsError(f"--vars: not YAML ({exc}); expected e.g. "
                                f"'{{{THRESHOLD_VAR}: 80}}'") from exc
        if not isinstance(overrides, dict):
            raise SettingsError(f"--vars: {vars_yaml!r} is not a mapping; expected e.g. "
                                f"'{{{THRESHOLD_VAR}: 80}}'")
        values.update(overrides)
        source.update({name: "--vars" for name in overrides})
    for name in (THRESHOLD_VAR, SMALL_CELL_VAR):
        if name not in values:
            raise SettingsError(f"{project_file}: var {name} is not set")
    threshold = _number(THRESHOLD_VAR, values[THRESHOLD_VAR], source[THRESHOLD_VAR])
    if not 0 < threshold < 100:
        raise SettingsError(f"{source[THRESHOLD_VAR]}: var {THRESHOLD_VAR} is {threshold}; "
                            "expected a percentage between 0 and 100")
    small = _number(SMALL_CELL_VAR, values[SMALL_CELL_VAR], source[SMALL_CELL_VAR])
    if small < 1 or small != int(small):
        raise SettingsError(f"{source[SMALL_CELL_VAR]}: var {SMALL_CELL_VAR} is {small}; "
                            "expected a whole number of students, at least 1")
    return Settings(min_attendance_pct=threshold, small_cell_min_students=int(small))
