"""`nhi config validate`: every error of an nhi.yaml at once, each with file:line, and a
"did you mean" for a misspelt key or provider.

Loading a config for a command stops at the first error (config.load_config); a person fixing
a file wants the whole list. The same schema is used: the top-level Config model and each
provider's connector Settings model, so validate and load never disagree.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from nhi_cli.config import Config, _line_of, parse_yaml
from nhi_cli.errors import ConfigError, NhiError
from nhi_cli.kit import registry


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (list, dict):
        args = typing.get_args(annotation)
        return (args[-1],) if args else None
    if origin is typing.Union or str(origin) == "types.UnionType":
        for arg in typing.get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return annotation


def _element_model(model: Any, loc: tuple[str | int, ...]) -> Any:
    """Like _model_at, but stepping through list indexes and dict keys."""
    for part in loc:
        if isinstance(model, tuple):  # inside a list or dict: this part is the index or key
            model = model[0]
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        model = _unwrap(field.annotation)
    return model[0] if isinstance(model, tuple) else model


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return f" (did you mean {match[0]}?)" if match else ""


def _messages(
    source: Path,
    root: yaml.Node | None,
    exc: ValidationError,
    model: type[BaseModel],
    prefix: tuple[str | int, ...] = (),
) -> list[tuple[int, str]]:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in prefix + loc) or "(top level)"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            parent = _element_model(model, loc[:-1])
            known = parent.model_fields if isinstance(parent, type) and issubclass(parent, BaseModel) else ()
            message = "unknown setting" + did_you_mean(str(loc[-1]), [k for k in known if k != "source"])
        line = _line_of(root, prefix + loc) or 0
        out.append((line, f"{source}:{line}: {where}: {message}" if line else f"{source}: {where}: {message}"))
    return out


def check_config(path: Path) -> list[str]:
    """Every error of the config file at ``path``, in file order; empty when it is valid."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [f"config file {path} does not exist"]
    except (OSError, UnicodeDecodeError) as exc:
        return [f"cannot read config file {path}: {exc}"]
    try:
        data = parse_yaml(path, text)
    except ConfigError as exc:
        return [exc.message]
    if data is None:
        return []
    if not isinstance(data, dict):
        return [f"{path}:1: the top level must be a mapping of settings"]
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    errors: list[tuple[int, str]] = []
    try:
        Config.model_validate(data)
    except ValidationError as exc:
        errors += _messages(path, root, exc, Config)
    providers = data.get("providers")
    if isinstance(providers, dict):
        known = registry.available()
        for name, section in providers.items():
            line = _line_of(root, ("providers", name)) or 0
            if name not in known:
                errors.append(
                    (
                        line,
                        f"{path}:{line}: providers.{name}: unknown provider"
                        f"{did_you_mean(str(name), known)}; known: {', '.join(known)}",
                    )
                )
                continue
            if section is not None and not isinstance(section, dict):
                continue  # already reported by the top-level schema
            try:
                settings_model = registry.load(name).Settings
            except NhiError as exc:
                errors.append((line, f"{path}:{line}: providers.{name}: {exc.message}"))
                continue
            try:
                settings_model.model_validate(section or {})
            except ValidationError as exc:
                errors += _messages(path, root, exc, settings_model, prefix=("providers", name))
    return [message for _line, message in sorted(errors, key=lambda e: e[0])]
