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
  ``credential-authorizations`` (SAML SSO) is a GitHub Enterprise Cloud call: its model comes
  from the GHEC description of the same commit (``githubkit-schemas-ghec-2026-03-10``).
- Microsoft Graph v1.0: graph_v1_schema.json, derived from msgraph-metadata's v1.0 CSDL by
  derive_graph_schema.py (commit recorded in the file).
- Microsoft Graph beta (sign-in activity reports, Entra Agent ID): graph_beta_schema.json,
  derived by derive_graph_beta_schema.py from the models Microsoft generates from its beta
  metadata into ``msgraph-beta-sdk`` (1.66.0; version recorded in the file).
- Azure Resource Manager: ``azure-mgmt-authorization`` (4.0, v2022_04_01 models) and
  ``azure-mgmt-resource-subscriptions`` (1.0, api-version 2022-12-01), generated from
  Azure/azure-rest-api-specs; turned into strict schemas by ``msrest_schema`` / ``typespec_schema``.

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


# --- Azure Resource Manager -------------------------------------------------------------------
# The azure-mgmt-* packages are generated from Azure/azure-rest-api-specs. Their models tolerate
# unknown fields, so each model is turned into a strict JSON schema here: exactly its fields
# (ARM's ``properties`` envelope included), of their types.
MSREST_PRIMITIVE = {"str": "string", "bool": "boolean", "int": "integer", "float": "number", "iso-8601": "string"}


def msrest_schema(model: type, module: Any) -> dict:
    """An autorest (msrest) model: ``_attribute_map`` {attr: {key: 'properties.roleName', type}}.

    A polymorphic base (its own ``_subtype_map`` {attr: {discriminator value: subclass name}},
    e.g. ConnectionPropertiesV2 by ``authType``) is one of its subclasses, with its value fixed."""
    for attr, subtypes in (vars(model).get("_subtype_map") or {}).items():
        key = model._attribute_map[attr]["key"]
        subs = []
        for value, name in subtypes.items():
            schema = msrest_schema(getattr(module, name), module)
            schema["properties"][key] = {"const": value}
            schema["required"] = [key]
            subs.append(schema)
        return {"oneOf": subs}

    def of(kind: str) -> dict:
        if kind == "object":  # msrest's "any JSON value"
            return {}
        if kind in MSREST_PRIMITIVE:
            return {"type": [MSREST_PRIMITIVE[kind], "null"]}
        if kind.startswith("["):
            return {"type": ["array", "null"], "items": of(kind[1:-1])}
        if kind.startswith("{"):
            return {"type": ["object", "null"], "additionalProperties": of(kind[1:-1])}
        return {"anyOf": [msrest_schema(getattr(module, kind), module), {"type": "null"}]}

    root: dict = {"type": "object", "properties": {}, "additionalProperties": False}
    for spec in model._attribute_map.values():
        *envelope, name = spec["key"].replace("\\.", "\0").split(".")
        node = root
        for part in envelope:  # x-ms-client-flatten: 'properties.roleName' is {"properties": {"roleName"}}
            node = node["properties"].setdefault(
                part, {"type": "object", "properties": {}, "additionalProperties": False}
            )
        node["properties"][name.replace("\0", ".")] = of(spec["type"])
    return root


def typespec_schema(model: type, module: Any, names: dict | None = None) -> dict:
    """A TypeSpec-generated model: ``rest_field(name=...)`` attributes with type annotations.

    A polymorphic base (``__mapping__`` of discriminator value -> subclass, e.g. azure-ai-agents'
    ToolDefinition) is any of its subclasses, each with its discriminator value fixed.
    ``names`` adds modules its annotations refer to (``_types``)."""
    import datetime
    import enum
    import sys
    import typing

    mapping = vars(model).get("__mapping__")
    if mapping:
        key = next(v._rest_name_input or k for k, v in vars(model).items() if type(v).__name__ == "_RestField")
        subs = []
        for value, sub in mapping.items():
            schema = typespec_schema(sub, module, names)
            schema["properties"][key] = {"const": value}
            schema["required"] = [key]
            subs.append(schema)
        return {"oneOf": subs}
    hints = typing.get_type_hints(model, {**vars(sys.modules[model.__module__]), "_models": module, **(names or {})})

    def of(hint: Any) -> dict:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if hint is typing.Any:
            return {}
        if origin is typing.Literal:
            return {"enum": [*args, None]}
        if hint is datetime.datetime:  # unix-timestamp in the agents API, RFC 3339 elsewhere
            return {"type": ["integer", "string", "null"]}
        if origin is typing.Union:
            kinds = [of(a) for a in args if a is not type(None)]
            strings = all(k.get("type") == ["string", "null"] for k in kinds)  # str or a str enum
            return {"type": ["string", "null"]} if strings else {"anyOf": [*kinds, {"type": "null"}]}
        if origin is list:
            return {"type": ["array", "null"], "items": of(args[0])}
        if origin is dict:
            return {"type": ["object", "null"], "additionalProperties": of(args[1])}
        if hint is str or (isinstance(hint, type) and issubclass(hint, enum.Enum)):
            return {"type": ["string", "null"]}
        if hint in (bool, int, float):
            return {"type": [{bool: "boolean", int: "integer", float: "number"}[hint], "null"]}
        return typespec_schema(hint, module, names)

    fields = {}
    for cls in model.__mro__:
        for attr, value in vars(cls).items():
            if type(value).__name__ == "_RestField":
                fields.setdefault(value._rest_name_input or attr, of(hints[attr]))
    return {"type": "object", "properties": fields, "additionalProperties": False}


def schema_conforms(schema: dict, item: Any, where: str) -> None:
    import jsonschema

    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(item), key=str)
    if errors:
        raise NonConforming(f"{where}: {errors[0].message} at {list(errors[0].absolute_path)}")


# AWS payloads are checked against botocore's service models by nhi_cli.kit.botocore_model,
# the one checker the AWS fakes use too.
