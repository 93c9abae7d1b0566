"""What the AWS fake refuses before moto sees it: a request the real IAM or STS would reject.

moto accepts any parameter and any page size; botocore checks only what the client sends
against the model's minimums. The real query APIs validate the rest server-side (a ``MaxItems``
of 1001 is a 400 ``ValidationError``), so this WSGI middleware checks every query-protocol
request (IAM 2010-05-08, STS 2011-06-15) against the input shape of its operation in
botocore's own service model: an undeclared parameter, or an integer outside its declared
range, is answered with the ``ValidationError`` AWS sends, and a connector relying on either
fails its tests instead of production.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

QUERY_SERVICES = {"2010-05-08": "iam", "2011-06-15": "sts"}  # Version= -> botocore service name


@lru_cache(maxsize=8)
def _model(service: str):
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def request_problem(params: dict[str, list[str]]) -> str | None:
    """The ValidationError message AWS would answer ``params`` with, or None."""
    service = QUERY_SERVICES.get((params.get("Version") or [""])[0])
    action = (params.get("Action") or [""])[0]
    if service is None or not action:
        return None
    model = _model(service)
    if action not in model.operation_names:
        return None  # moto answers an unknown action itself, as AWS does
    shape = model.operation_model(action).input_shape
    members = shape.members if shape is not None else {}
    for name, values in params.items():
        top = name.split(".", 1)[0]  # Filter.member.1 -> Filter
        if top in ("Action", "Version"):
            continue
        if top not in members:
            return f"{top} is not a parameter of {action}"
        member = members[top]
        if member.type_name in ("integer", "long"):
            try:
                value = int(values[0])
            except ValueError:
                return f"Value '{values[0]}' at '{top}' failed to satisfy constraint: Member must be a number"
            low, high = member.metadata.get("min"), member.metadata.get("max")
            unmet = (
                f"greater than or equal to {low}"
                if low is not None and value < low
                else f"less than or equal to {high}"
                if high is not None and value > high
                else None
            )
            if unmet:
                return f"Value '{value}' at '{top}' failed to satisfy constraint: Member must have value {unmet}"
    return None


def refuse_what_aws_refuses(app: Any) -> Any:
    """Wrap moto's WSGI app; the body is read once and handed on unchanged (it is signed)."""

    def checked(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("REQUEST_METHOD") == "POST" and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            problem = request_problem(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
            if problem is not None:
                xml = (
                    "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
                    f"<Message>1 validation error detected: {escape(problem)}</Message></Error>"
                    "<RequestId>nhi-fake</RequestId></ErrorResponse>"
                ).encode()
                start_response("400 Bad Request", [("Content-Type", "text/xml"), ("Content-Length", str(len(xml)))])
                return [xml]
        return app(environ, start_response)

    return checked
