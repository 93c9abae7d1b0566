"""The one check of AWS payloads against botocore's service models (for fakes and tests).

The fakes answering what moto does not implement (connectors/aws/ai_fake.py,
connectors/kubernetes/eks_fake.py) check every request against the operation's input shape and
every answer against its output shape; connectors/aws/fake_contract.py checks every IAM/STS
request nhi sends to moto; tests/fidelity checks the recorded fixtures/aws/account.json. The models are the ones shipped
in the installed botocore (``model_source``), the same ones boto3 parses the wire with, so a
renamed field, a wrong nesting or a parameter the real API would reject fails the test that
caused it instead of passing unseen.

A payload conforms when every structure has its required members and no undeclared one, and
every value has its declared type, enum, numeric range and length. Values come as boto3 hands
them over (datetimes, bytes) or as recorded JSON (times as text or epoch seconds, blobs as
text); ``check_request``/``check_response`` return them as boto3 hands them over. A member
whose value is None counts as absent: nothing is put on the wire for it.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from functools import cache
from typing import Any


class NonConforming(ValueError):
    """A payload the service model does not allow; the message names where and why."""


@cache
def service_model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def model_source() -> str:
    import botocore

    return f"botocore {botocore.__version__} service models (botocore/data/<service>/<version>/service-2.json)"


def check_request(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` against the input shape of ``service``'s ``operation``; NonConforming if the
    real API would reject them (an undeclared parameter, a page size out of range...)."""
    shape = service_model(service).operation_model(operation).input_shape
    if shape is None:
        if params:
            raise NonConforming(f"{sorted(params)} is not a parameter of {operation}")
        return {}
    checked: dict[str, Any] = _walk(shape, params, operation, request_of=operation)
    return checked


def check_response(service: str, operation: str, payload: Any, where: str | None = None) -> Any:
    """``payload`` against the output shape of ``operation``; returns it as boto3 hands it over.
    ``where`` names the payload in messages (the operation by default)."""
    shape = service_model(service).operation_model(operation).output_shape
    if shape is None:
        return {}
    return _walk(shape, payload, where or operation)


def from_query(service: str, operation: str, form: dict[str, str]) -> dict[str, Any]:
    """A query-protocol (IAM, STS) form, ``{"Filter.member.1": "User", "MaxItems": "100"}``, as
    the parameters it encodes, typed by the input shape (``{"Filter": ["User"], "MaxItems": 100}``),
    ready for ``check_request``. An undeclared name stays as sent, for the check to report."""
    nested: dict[str, Any] = {}
    for key, value in form.items():
        node = nested
        *path, last = key.split(".")
        for part in path:
            child = node.setdefault(part, {})
            node = child if isinstance(child, dict) else node.setdefault(f"{part}.", {})
        node[last] = value
    shape = service_model(service).operation_model(operation).input_shape
    return _typed(shape, nested, "") if shape is not None else nested


def _typed(shape: Any, node: Any, path: str) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(node, dict):
        return {
            k: _typed(shape.members[k], v, f"{path}.{k}".lstrip(".")) if k in shape.members else v
            for k, v in node.items()
        }
    if kind == "list":
        if node == "":
            return []  # "Filter=" is the empty list on the query protocol
        if isinstance(node, dict) and isinstance(node.get("member"), dict):
            items = sorted(node["member"].items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0)
            return [_typed(shape.member, v, f"{path}[{n}]") for n, v in items]
        return node
    if kind in ("integer", "long") and isinstance(node, str):
        try:
            return int(node)
        except ValueError:
            raise NonConforming(
                f"Value '{node}' at '{path}' failed to satisfy constraint: Member must be a number"
            ) from None
    if kind == "boolean" and node in ("true", "false"):
        return node == "true"
    return node


def _walk(shape: Any, value: Any, path: str, request_of: str | None = None) -> Any:
    """Check ``value`` against ``shape`` (a botocore Shape) at ``path``; return it as boto3 hands
    it over. ``request_of`` names the operation when ``shape`` is its whole input."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise NonConforming(f"{path}: must be a {shape.name} object, not {type(value).__name__}")
        unknown = sorted(set(value) - set(shape.members))
        if unknown and request_of:
            raise NonConforming(f"{', '.join(unknown)} is not a parameter of {request_of}")
        if unknown:
            raise NonConforming(f"{path}: {shape.name} declares no {unknown}")
        missing = [m for m in shape.required_members if value.get(m) is None]
        if missing:
            raise NonConforming(f"{path}: {shape.name} requires {missing}")
        return {k: _walk(shape.members[k], v, f"{path}.{k}") for k, v in value.items() if v is not None}
    if kind == "list":
        if not isinstance(value, list):
            raise NonConforming(f"{path}: must be a list ({shape.name}), not {type(value).__name__}")
        _length(shape, len(value), path)
        return [_walk(shape.member, v, f"{path}[{n}]") for n, v in enumerate(value)]
    if kind == "map":
        if not isinstance(value, dict):
            raise NonConforming(f"{path}: must be a map ({shape.name}), not {type(value).__name__}")
        return {_walk(shape.key, k, f"{path} key"): _walk(shape.value, v, f"{path}[{k!r}]") for k, v in value.items()}
    if kind == "string":
        if shape.name == "policyDocumentType" and isinstance(value, dict):
            # botocore's IAM handlers URL-decode and JSON-parse policy documents (of
            # GetAccountAuthorizationDetails), so a dict is what boto3 hands over there
            return value
        if not isinstance(value, str):
            raise NonConforming(f"{path}: {value!r} is not a string ({shape.name})")
        if shape.enum and value not in shape.enum:
            raise NonConforming(f"{path}: {value!r} is not one of {shape.enum}")
        _length(shape, len(value), path)
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise NonConforming(f"{path}: {value!r} is not an integer ({shape.name})")
        _bounds(shape, value, path, "value")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise NonConforming(f"{path}: {value!r} is not a boolean ({shape.name})")
        return value
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise NonConforming(f"{path}: {value!r} is not a number ({shape.name})")
        return value
    if kind == "timestamp":
        return _time(value, path)
    if kind == "blob":
        if isinstance(value, str):
            return value.encode()
        if not isinstance(value, bytes):
            raise NonConforming(f"{path}: {value!r} is not a blob ({shape.name})")
        return value
    return value


def _time(value: Any, path: str) -> datetime:
    from botocore.utils import parse_timestamp

    if isinstance(value, datetime):
        return value
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            parsed: datetime = parse_timestamp(value)
            return parsed
        except (ValueError, TypeError, OverflowError):
            pass
    raise NonConforming(f"{path}: {value!r} is not a timestamp")


def _length(shape: Any, length: int, path: str) -> None:
    _bounds(shape, length, path, "length")


def _bounds(shape: Any, number: int, path: str, what: str) -> None:
    """The message AWS's ValidationException carries for the same constraint."""
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    unmet = (
        f"greater than or equal to {low}"
        if low is not None and number < low
        else f"less than or equal to {high}"
        if high is not None and number > high
        else None
    )
    if unmet:
        shown = number if what == "value" else f"length {number}"
        raise NonConforming(
            f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must have {what} {unmet}"
        )


# --- rest-json (the fakes' wire) ---------------------------------------------------------------
def from_rest(
    service: str, operation: str, uri: dict[str, str], query: dict[str, list[str]], body: bytes = b""
) -> dict[str, Any]:
    """A rest-json request as the parameters it encodes: ``uri`` (the path's ``{name}`` values,
    decoded), the querystring members typed by their shapes, and the JSON body. A query name
    the model does not declare is ignored (as the services do); an undeclared body member, or
    one the model places elsewhere, is NonConforming."""
    shape = service_model(service).operation_model(operation).input_shape
    if shape is None:
        return {}
    members = shape.members
    wire_names = {m.serialization.get("name", n): n for n, m in members.items()}
    params: dict[str, Any] = {wire_names.get(k, k): v for k, v in uri.items()}
    for name, member in members.items():
        wire = member.serialization.get("name", name)
        if member.serialization.get("location") == "querystring" and wire in query:
            values = query[wire]
            params[name] = values if member.type_name == "list" else _typed(member, values[0], name)
    data = json.loads(body) if body else {}
    if not isinstance(data, dict):
        raise NonConforming(f"the body of {operation} must be a JSON object")
    undeclared = sorted(k for k in data if k not in members or members[k].serialization.get("location"))
    if undeclared:
        raise NonConforming(f"{', '.join(undeclared)} is not a parameter of {operation}")
    params.update(data)
    return params


def rest_json(service: str, operation: str, result: dict[str, Any]) -> bytes:
    """``result`` checked against the output shape (a wrong answer fails the test that caused
    it, loudly), as the JSON body the service sends."""
    shape = service_model(service).operation_model(operation).output_shape
    checked = check_response(service, operation, result)
    return json.dumps(to_wire(shape, checked) if shape is not None else {}).encode()


def to_wire(shape: Any, value: Any) -> Any:
    """A checked value as rest-json puts it on the wire (times as epoch seconds, or the
    member's declared format)."""
    kind = shape.type_name
    if kind == "structure":
        return {k: to_wire(shape.members[k], v) for k, v in value.items() if v is not None}
    if kind == "list":
        return [to_wire(shape.member, v) for v in value]
    if kind == "map":
        return {k: to_wire(shape.value, v) for k, v in value.items()}
    if kind == "timestamp" and isinstance(value, datetime):
        if shape.serialization.get("timestampFormat") == "iso8601":
            return iso_z(value)
        return value.timestamp()
    if kind == "blob" and isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def iso_z(value: datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
