"""The fakes' answers as the real services put them on the wire (fake layer).

ai_fake.py and eks_fake.py answer operations moto does not implement. An answer is checked
against the operation's output shape first (model_check.py), then serialized here: rest-json
bodies (times as epoch seconds, or the member's declared format) and query-protocol (IAM) XML.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from .model_check import check_response, service_model


def rest_json(service: str, operation: str, result: dict[str, Any]) -> bytes:
    """``result`` checked against the output shape (a wrong answer fails the test, loudly), as
    the JSON body the service sends."""
    shape = service_model(service).operation_model(operation).output_shape
    check_response(service, operation, result)
    return json.dumps(to_wire(shape, result) if shape is not None else {}).encode()


def to_wire(shape: Any, value: Any) -> Any:
    """A checked value as rest-json puts it on the wire."""
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
        check_response(service, operation, result)
        body = f"<{operation}Result>{_xml_members(op.output_shape, result)}</{operation}Result>"
    ns = model.metadata["xmlNamespace"]
    return (
        f'<{operation}Response xmlns="{ns}">{body}'
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{operation}Response>"
    ).encode()


def _xml_members(shape: Any, value: dict[str, Any]) -> str:
    return "".join(
        f"<{name}>{_xml_value(shape.members[name], item)}</{name}>" for name, item in value.items() if item is not None
    )


def _xml_value(shape: Any, value: Any) -> str:
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


def rest_error(status: int, code: str, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """A rest-json error: status line, headers (botocore reads the code from x-amzn-ErrorType)
    and body."""
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    return f"{status} Error", headers, json.dumps({"message": message}).encode()
