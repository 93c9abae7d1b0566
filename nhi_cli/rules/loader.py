"""Loading rule folders: rule.yaml (validated), rule.sql (checked against the schema).

Built-in and user rules go through the same loader. Every problem becomes a RuleProblem that
names the file and the reason; loading never stops at the first broken rule, so one bad user
rule is reported alongside the others instead of hiding them (or being hidden).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nhi_cli import yaml_safe
from nhi_cli.config import Config
from nhi_cli.rules.readonly import guarded
from nhi_cli.severity import Severity
from nhi_cli.store.schema import schema_statements

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
RULE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
OWASP_ID = re.compile(r"^NHI(10|[1-9])$")
# :name bind parameters; string literals are blanked out first so ':' inside quotes is ignored.
PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
# One left-to-right pass over strings and comments, so an apostrophe inside a comment or a
# `--` inside a string is read as what it is.
STRING_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.S)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Param(Strict):
    default: Any
    description: str = Field(min_length=1)


class Frameworks(Strict):
    owasp_nhi: list[str] = Field(min_length=1)
    cis: list[str] = Field(default_factory=list)


class RuleMeta(Strict):
    id: str
    title: str = Field(min_length=3)
    severity: Severity
    property: Literal["scoped", "delegated", "auditable", "revocable"]
    description: str = Field(min_length=3)
    risk: str = Field(min_length=3)
    remediation: str = Field(min_length=3)
    params: dict[str, Param] = Field(default_factory=dict)
    frameworks: Frameworks
    providers: list[str] = Field(default_factory=list)


@dataclass
class Rule:
    meta: RuleMeta
    sql: str
    folder: Path
    builtin: bool
    severity: Severity  # effective, after config overrides
    params: dict[str, Any] = field(default_factory=dict)  # effective values

    @property
    def id(self) -> str:
        return self.meta.id

    def describe(self) -> dict[str, Any]:
        """rule.yaml as a dict, with effective severity and parameter values (for scan_rule)."""
        data = self.meta.model_dump()
        data["default_severity"] = self.meta.severity.value
        data["severity"] = self.severity.value
        for name, value in self.params.items():
            data["params"][name]["value"] = value
        data["builtin"] = self.builtin
        return data


@dataclass
class RuleProblem:
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@lru_cache(maxsize=1)
def _schema_sql() -> tuple[str, ...]:
    return tuple(schema_statements())


def schema_connection() -> sqlite3.Connection:
    """A fresh in-memory database with every migration applied (for checks and rule tests)."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    for statement in _schema_sql():
        conn.execute(statement)
    return conn


def sql_params(sql: str) -> set[str]:
    text = STRING_OR_COMMENT.sub(lambda m: "''" if m.group(0).startswith("'") else " ", sql)
    return set(PARAM.findall(text))


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> RuleProblem:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    return RuleProblem(Path(where), f"invalid YAML: {problem}")


def _unreadable(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 (byte {exc.start})"
    return getattr(exc, "strerror", None) or str(exc)


def _validation_problem(path: Path, exc: ValidationError) -> RuleProblem:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    message = "unknown field" if first["type"] == "extra_forbidden" else first["msg"]
    return RuleProblem(path, f"{where}: {message}")


def load_rule(folder: Path, builtin: bool = False) -> tuple[Rule | None, list[RuleProblem]]:
    """Load one rule folder; (rule, []) or (None, problems)."""
    meta_path, sql_path = folder / "rule.yaml", folder / "rule.sql"
    for path in (meta_path, sql_path):
        if not path.is_file():
            return None, [RuleProblem(path, "missing")]
    try:
        data = yaml_safe.load(meta_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(meta_path, exc)]
    except (OSError, UnicodeDecodeError) as exc:  # a broken rule (exit 2), not a crash
        return None, [RuleProblem(meta_path, f"cannot read: {_unreadable(exc)}")]
    if not isinstance(data, dict):
        return None, [RuleProblem(meta_path, "the top level must be a mapping")]
    try:
        meta = RuleMeta.model_validate(data)
    except ValidationError as exc:
        return None, [_validation_problem(meta_path, exc)]
    problems = []
    if not RULE_ID.match(meta.id):
        problems.append(RuleProblem(meta_path, f"id {meta.id!r} must be lower_snake_case"))
    elif meta.id != folder.name:
        problems.append(RuleProblem(meta_path, f"id {meta.id!r} must equal the folder name {folder.name!r}"))
    bad = [x for x in meta.frameworks.owasp_nhi if not OWASP_ID.match(x)]
    if bad:
        problems.append(
            RuleProblem(meta_path, f"frameworks.owasp_nhi: {bad[0]!r} is not an OWASP NHI id (NHI1..NHI10)")
        )
    try:
        sql = sql_path.read_text(encoding="utf-8").strip().rstrip(";").strip()
    except (OSError, UnicodeDecodeError) as exc:
        return None, [RuleProblem(sql_path, f"cannot read: {_unreadable(exc)}")]
    undeclared = sorted(sql_params(sql) - set(meta.params))
    if undeclared:
        problems.append(RuleProblem(sql_path, f"uses parameter :{undeclared[0]} that rule.yaml does not declare"))
    problems.extend(check_sql(sql_path, sql))
    if problems:
        return None, problems
    return Rule(
        meta=meta,
        sql=sql,
        folder=folder,
        builtin=builtin,
        severity=meta.severity,
        params={n: p.default for n, p in meta.params.items()},
    ), []


REQUIRED_COLUMNS = ("resource_id", "resource_type", "reason")


def check_sql(path: Path, sql: str) -> list[RuleProblem]:
    """Prepare the SQL against the real schema (syntax, tables, columns) without running it."""
    conn = schema_connection()
    try:
        with guarded(conn):
            cursor = conn.execute(f"SELECT * FROM ({sql}) LIMIT 0", {n: None for n in sql_params(sql)})
        columns = {d[0] for d in cursor.description or []}
    except (sqlite3.Error, ValueError) as exc:
        return [RuleProblem(path, f"SQL error: {exc}")]
    finally:
        conn.close()
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        return [RuleProblem(path, f"the query must return column {missing[0]!r}")]
    return []


def rule_folders(directory: Path) -> list[Path]:
    """A rule folder itself, or every sub-folder holding a rule.yaml."""
    if (directory / "rule.yaml").is_file():
        return [directory]
    return sorted(p.parent for p in directory.glob("*/rule.yaml"))


@dataclass
class RuleSet:
    rules: list[Rule]
    problems: list[RuleProblem]

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def load_rules(user_dirs: Sequence[Path] = (), *, builtin: bool = True, config: Config | None = None) -> RuleSet:
    """Built-in rules plus every user rule directory, with config applied (disable, severity,
    params). Problems are collected, never raised: the caller decides (exit 2)."""
    rules: list[Rule] = []
    problems: list[RuleProblem] = []
    sources = [(BUILTIN_DIR, True)] if builtin else []
    sources += [(Path(d), False) for d in user_dirs]
    seen: dict[str, Path] = {}
    for directory, is_builtin in sources:
        if not directory.is_dir():
            problems.append(RuleProblem(directory, "rules directory does not exist"))
            continue
        folders = rule_folders(directory)
        if not folders and not is_builtin:
            problems.append(RuleProblem(directory, "no rule folders (sub-folders with a rule.yaml) found"))
        for folder in folders:
            rule, found = load_rule(folder, builtin=is_builtin)
            problems.extend(found)
            if rule is None:
                continue
            if rule.id in seen:
                problems.append(
                    RuleProblem(folder / "rule.yaml", f"rule id {rule.id!r} is already defined in {seen[rule.id]}")
                )
                continue
            seen[rule.id] = folder
            rules.append(rule)
    if config is not None:
        problems.extend(apply_config(rules, config))
        rules = [r for r in rules if r.id not in set(config.rules.disable)]
    return RuleSet(rules, problems)


def apply_config(rules: list[Rule], config: Config) -> list[RuleProblem]:
    """Severity overrides and parameter values from nhi.yaml; unknown ids and params are errors."""
    source = Path(str(config.source or "nhi.yaml"))
    by_id = {r.id: r for r in rules}
    problems = []
    for section, ids in (
        ("disable", config.rules.disable),
        ("severity", config.rules.severity),
        ("params", config.rules.params),
    ):
        for rule_id in ids:
            if rule_id not in by_id:
                problems.append(RuleProblem(source, f"rules.{section}: unknown rule {rule_id!r}"))
    for rule_id, severity in config.rules.severity.items():
        if rule_id in by_id:
            by_id[rule_id].severity = severity
    for rule_id, values in config.rules.params.items():
        rule = by_id.get(rule_id)
        if rule is None:
            continue
        for name, value in (values or {}).items():
            if name not in rule.params:
                problems.append(RuleProblem(source, f"rules.params.{rule_id}: unknown parameter {name!r}"))
            else:
                rule.params[name] = value
    return problems
