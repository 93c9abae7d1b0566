"""Validate fake payloads against the vendors' own published models (issue 12).

Sources, recorded here and pinned in pyproject's ``test`` extra:
- OpenAI Admin API: the ``openai`` package (3.51), types generated from OpenAI's OpenAPI
  description (``openai.types.admin.organization``).
- Anthropic Admin API: the ``anthropic`` package (2.10), types generated from Anthropic's
  OpenAPI description (``anthropic.types.organization``).
- Google IAM and Resource Manager: the protobuf messages of ``google-cloud-iam`` and
  ``google-cloud-resource-manager`` (the gRPC wire format of the IAM fake already).
- GitHub REST: ``githubkit-schemas`` (26.10), pydantic models generated from
  github/rest-api-description. Only its latest API version (2026-03-10) is published there;
  nhi sends 2022-11-28, whose installation, fine-grained token and deploy key shapes it keeps.
  Its models ignore unknown fields, so unknown top-level fields are checked here.
  ``credential-authorizations`` has no model there and is not validated.

A payload conforms when the model accepts it AND it carries no field the model does not
declare (the SDK models tolerate unknown fields, so a renamed optional field would otherwise
pass unseen). ``PLANTED`` fields are deliberate: fixtures plant a full secret there to prove
nhi never stores it.
"""

from __future__ import annotations

from typing import Any

PLANTED = {"value", "key_value", "secretText", "privateKeyData", "token"}


class NonConforming(AssertionError):
    pass


def conforms(model: type, item: Any, where: str) -> None:
    """``model`` is a pydantic model class of a vendor SDK."""
    from pydantic import ValidationError

    if not isinstance(item, dict):
        raise NonConforming(f"{where}: not an object")
    try:
        parsed = model.model_validate(item)
    except ValidationError as exc:
        raise NonConforming(f"{where}: {model.__name__}: {exc}") from None
    unknown = sorted(_undeclared(parsed, top=True))
    declared = set(model.model_fields) | {f.alias for f in model.model_fields.values() if f.alias}
    unknown += sorted(set(item) - declared - PLANTED - set(unknown))
    if unknown:
        raise NonConforming(f"{where}: {model.__name__} declares no {unknown}")


def _undeclared(value: Any, path: str = "", top: bool = False) -> set[str]:
    """Fields the SDK kept as extras (it allows them), at any depth."""
    from pydantic import BaseModel

    found: set[str] = set()
    if isinstance(value, BaseModel):
        if type(value).model_fields:  # a model that declares no field is a free-form map
            found |= {f"{path}{name}" for name in (value.model_extra or {}) if not (top and name in PLANTED)}
        for name in type(value).model_fields:
            found |= _undeclared(getattr(value, name), f"{path}{name}.")
    elif isinstance(value, (list, tuple)):
        for element in value:
            found |= _undeclared(element, path)
    elif isinstance(value, dict):
        for element in value.values():
            found |= _undeclared(element, path)
    return found


def proto_conforms(message: type, item: Any, where: str) -> None:
    """``message`` is a protobuf message class (or a proto-plus class with ``.pb()``)."""
    from google.protobuf import json_format

    pb = message.pb()() if hasattr(message, "pb") else message()  # proto-plus wraps a protobuf class
    data = {k: v for k, v in item.items() if k not in PLANTED} if isinstance(item, dict) else item
    try:
        json_format.ParseDict(data, pb)  # unknown fields and wrong types are errors here
    except (json_format.ParseError, TypeError, ValueError) as exc:
        raise NonConforming(f"{where}: {type(pb).__name__}: {exc}") from None
