"""The fake's side (fake layer): what a payload must look like, according to botocore.

The AI-platform fake (ai_fake.py) answers operations moto does not implement. Every request it
receives is checked against the operation's input shape and every answer against its output
shape, both from the service models shipped in the installed botocore (the version is recorded
by ``model_source``), so a renamed field, a wrong nesting or a parameter the real API would
reject fails the test that caused it instead of passing unseen. Query-protocol answers (IAM)
are serialized from the same shapes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any
from xml.sax.saxutils import escape


class NonConforming(ValueError):
    """A payload the service model does not allow."""


@cache
def service_model(service: str):
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def model_source() -> str:
    import botocore

    return f"botocore {botocore.__version__} service models (botocore/data/<service>/<version>/service-2.json)"


def check(shape, value: Any, where: str = "$") -> None:
    """Raise NonConforming unless ``value`` is a valid ``shape`` (a botocore Shape): required
    members present, no undeclared member, the declared types, enums and numeric ranges."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise NonConforming(f"{where}: {shape.name} must be an object")
        unknown = sorted(set(value) - set(shape.members))
        if unknown:
            raise NonConforming(f"{where}: {shape.name} declares no {unknown}")
        missing = [m for m in shape.required_members if value.get(m) is None]
        if missing:
            raise NonConforming(f"{where}: {shape.name} requires {missing}")
        for name, member in shape.members.items():
            if value.get(name) is not None:
                check(member, value[name], f"{where}.{name}")
    elif kind == "list":
        if not isinstance(value, list):
            raise NonConforming(f"{where}: {shape.name} must be a list")
        for n, item in enumerate(value):
            check(shape.member, item, f"{where}[{n}]")
    elif kind == "map":
        if not isinstance(value, dict):
            raise NonConforming(f"{where}: {shape.name} must be a map")
        for key, item in value.items():
            check(shape.value, item, f"{where}[{key!r}]")
    elif kind == "string":
        if not isinstance(value, str):
            raise NonConforming(f"{where}: {shape.name} must be a string")
        if shape.enum and value not in shape.enum:
            raise NonConforming(f"{where}: {value!r} is not one of {shape.enum}")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise NonConforming(f"{where}: {shape.name} must be an integer")
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            raise NonConforming(f"{where}: {value} is outside [{low}, {high}]")
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise NonConforming(f"{where}: {shape.name} must be a boolean")
    elif kind == "timestamp":
        if not isinstance(value, (datetime, int, float)):
            raise NonConforming(f"{where}: {shape.name} must be a time")
    elif kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise NonConforming(f"{where}: {shape.name} must be a number")


def to_wire(shape, value: Any) -> Any:
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
            return _iso(value)
        return value.timestamp()
    return value


def _iso(value: datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def query_xml(service: str, operation: str, result: dict[str, Any], request_id: str) -> bytes:
    """A query-protocol (IAM) answer: ``result`` checked against the output shape, then
    serialized as ``<OpResponse><OpResult>...</OpResult><ResponseMetadata/></OpResponse>``."""
    model = service_model(service)
    op = model.operation_model(operation)
    body = ""
    if op.output_shape is not None:
        check(op.output_shape, result, operation)
        body = f"<{operation}Result>{_xml_members(op.output_shape, result)}</{operation}Result>"
    ns = model.metadata["xmlNamespace"]
    return (
        f'<{operation}Response xmlns="{ns}">{body}'
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{operation}Response>"
    ).encode()


def _xml_members(shape, value: dict[str, Any]) -> str:
    return "".join(
        f"<{name}>{_xml_value(shape.members[name], item)}</{name}>" for name, item in value.items() if item is not None
    )


def _xml_value(shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "structure":
        return _xml_members(shape, value)
    if kind == "list":
        return "".join(f"<member>{_xml_value(shape.member, v)}</member>" for v in value)
    if kind == "timestamp":
        return _iso(value) if isinstance(value, datetime) else escape(str(value))
    if kind == "boolean":
        return "true" if value else "false"
    return escape(str(value))


def query_error(code: str, message: str, request_id: str, sender: bool = True) -> bytes:
    return (
        f"<ErrorResponse><Error><Type>{'Sender' if sender else 'Receiver'}</Type><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
