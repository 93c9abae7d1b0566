"""nhi.yaml: load, validate, and name the line of any error.

Validation is pydantic's; the line comes from walking PyYAML's node tree along the error's
path, so a message reads ``nhi.yaml:12: suppressions.0.expires: Input should be a valid date``.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nhi_cli import trust, yaml_safe
from nhi_cli.errors import ConfigError
from nhi_cli.export_settings import ExportConfig, NotifyTarget
from nhi_cli.kit.connector import Connector, ConnectorSettings
from nhi_cli.severity import Severity

DEFAULT_CONFIG_NAME = "nhi.yaml"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RulesConfig(Strict):
    dirs: list[Path] = Field(default_factory=list)  # user rule directories
    disable: list[str] = Field(default_factory=list)
    severity: dict[str, Severity] = Field(default_factory=dict)  # rule id -> severity override
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)  # rule id -> {param: value}


class Suppression(Strict):
    rule: str  # rule id or glob
    resource: str  # resource id, exact or glob
    reason: str = Field(min_length=3)
    owner: str = Field(min_length=1)
    expires: date


class AgentConfig(Strict):
    name: str = Field(min_length=1)
    owner: str | None = None
    acts_for: str | None = None
    description: str | None = None
    identities: list[str] = Field(default_factory=list)  # globs over identity id or name
    credentials: list[str] = Field(default_factory=list)  # globs over credential id
    reject: list[str] = Field(default_factory=list)  # globs a discovered classification must not claim


class Config(Strict):
    version: Literal[1] = 1
    db: str | None = None  # a SQLite path (relative to nhi.yaml) or a postgresql:// URL
    owner_tags: list[str] = Field(default_factory=lambda: ["owner", "Owner", "nhi:owner", "nhi-owner"])
    providers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    rules: RulesConfig = Field(default_factory=RulesConfig)
    suppressions: list[Suppression] = Field(default_factory=list)
    agents: list[AgentConfig] = Field(default_factory=list)
    not_agents: list[str] = Field(default_factory=list)  # identity globs never classified as agents
    people: Path | None = None  # CSV or YAML of active people
    protected: list[str] = Field(default_factory=list)  # identity globs revoke refuses without --force
    fail_on: Severity | None = None
    notify: list[NotifyTarget] = Field(default_factory=list)  # chat webhooks (nhi notify, end of nhi scan)
    export: ExportConfig = Field(default_factory=ExportConfig)  # nhi export securityhub | jira

    @field_validator("providers")
    @classmethod
    def _providers_are_mappings(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name, section in value.items():
            if section is None:
                value[name] = {}
            elif not isinstance(section, dict):
                raise ValueError(f"providers.{name} must be a mapping")
        return value

    # Not part of the file: where it came from, for relative paths and messages.
    source: Path | None = Field(default=None, exclude=True)
    # Settings an untrusted (working-directory) file tried to set, shown and not applied
    # (nhi_cli/trust.py), and the endpoints it named per provider: scanning those is refused.
    held_back: list[str] = Field(default_factory=list, exclude=True)
    untrusted_endpoints: dict[str, list[str]] = Field(default_factory=dict, exclude=True)

    def provider_settings(self, name: str, connector_cls: type[Connector]) -> ConnectorSettings:
        """The validated settings model for one provider, errors naming the line."""
        if name in self.untrusted_endpoints:
            keys = ", ".join(f"providers.{name}.{k}" for k in self.untrusted_endpoints[name])
            raise ConfigError(
                f"{self.source}: {keys}: an endpoint in a nhi.yaml found in the working directory "
                f"is not trusted (credentials from the environment would go there); pass "
                f"--config {self.source} to use it"
            )
        raw = self.providers.get(name, {})
        try:
            settings = connector_cls.Settings.model_validate(raw)
        except ValidationError as exc:
            raise _error(self.source, exc, prefix=("providers", name)) from None
        trust.check_endpoints(name, settings, str(self.source or "config"))
        return settings


def _line_of(node: yaml.Node | None, path: tuple[str | int, ...]) -> int | None:
    """Follow ``path`` through the YAML node tree; the line of the deepest node reached."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in path:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(key):
                    node = value_node
                    line = key_node.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _error(source: Path | None, exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> ConfigError:
    first = exc.errors()[0]
    loc = prefix + tuple(first["loc"])
    where = ".".join(str(part) for part in loc) or "(top level)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown setting"
    name = str(source) if source else "config"
    line = None
    if source is not None:
        try:
            line = _line_of(yaml_safe.compose(source.read_text(encoding="utf-8")), loc)
        except (OSError, yaml.YAMLError):
            line = None
    return ConfigError(f"{name}:{line}: {where}: {message}" if line else f"{name}: {where}: {message}")


class _Loader(yaml_safe.Loader):
    """nhi's safe loader (no aliases: nhi_cli/yaml_safe.py) whose impossible dates (2027-13-01)
    stay strings: the schema then rejects them with their path and line, like any other bad
    value, instead of PyYAML raising ValueError."""

    # returns the text of an impossible date where SafeLoader's returns only dates: on purpose
    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> date | str:  # type: ignore[override]
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def parse_yaml(path: Path, text: str) -> Any:
    """The YAML document of ``text``; a syntax error is a ConfigError naming the line."""
    try:
        return yaml_safe.load(text, _Loader)
    except yaml.YAMLError as exc:
        # An unclosed bracket is reported at the end of the file; the line that opened it
        # (the context mark) is where the user has to look.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        if context and getattr(exc, "context_mark", None):
            problem = f"{context}: {problem}"
        if mark is not None:
            raise ConfigError(f"{path}:{mark.line + 1}: invalid YAML: {problem}") from None
        raise ConfigError(f"{path}: invalid YAML: {problem}") from None


def load_config(path: str | os.PathLike[str] | None = None, *, required: bool = False) -> Config:
    """Load the config. ``path`` given (``--config``, ``NHI_CONFIG``): that file, trusted.
    Otherwise the user-level file (trusted) and a ./nhi.yaml (untrusted unless
    NHI_TRUST_CWD_CONFIG is set: see nhi_cli/trust.py), the latter's allowed settings on top."""
    if path is not None:
        return _load_file(Path(path))
    user = trust.user_config_path()
    base = _load_file(user) if user.is_file() else None
    candidate = Path(DEFAULT_CONFIG_NAME)
    if not candidate.is_file():
        return base or Config()
    if trust.cwd_config_trusted():
        local = _load_file(candidate)
        held: list[str] = []
        endpoints: dict[str, list[str]] = {}
    else:
        local = _load_file(candidate, untrusted=True)
        held, endpoints = local.held_back, local.untrusted_endpoints
    if base is None:
        return local
    # The working-directory file's settings replace the user's, one setting at a time.
    update = {key: getattr(local, key) for key in local.model_fields_set if key != "providers"}
    merged = base.model_copy(update=update)
    merged.providers = {**base.providers}
    for name, section in local.providers.items():
        merged.providers[name] = {**base.providers.get(name, {}), **section}
    merged.source, merged.held_back, merged.untrusted_endpoints = candidate, held, endpoints
    return merged


def _load_file(path: Path, untrusted: bool = False) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    data = parse_yaml(path, text)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the top level must be a mapping of settings")
    held: list[str] = []
    endpoints: dict[str, list[str]] = {}
    if untrusted:
        data, held, endpoints = trust.split_untrusted(data)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise _error(path, exc) from None
    config.source = path
    config.held_back, config.untrusted_endpoints = held, endpoints
    base = path.parent
    config.rules.dirs = [d if d.is_absolute() else base / d for d in config.rules.dirs]
    if config.people is not None and not config.people.is_absolute():
        config.people = base / config.people
    if config.db is not None and "://" not in config.db and not Path(config.db).is_absolute():
        config.db = str(base / config.db)
    return config
