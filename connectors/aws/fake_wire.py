"""The AI-platform fake's query-protocol (IAM) answers as IAM puts them on the wire (fake layer).

An answer is checked against the operation's output shape first
(nhi_cli/kit/botocore_model.py, which also writes rest-json bodies), then serialized as XML.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from nhi_cli.kit.botocore_model import check_response, iso_z, service_model


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
        return iso_z(value) if isinstance(value, datetime) else escape(str(value))
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
