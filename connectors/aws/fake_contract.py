"""What the AWS fake refuses before moto sees it: a request the real IAM or STS would reject.

moto accepts any parameter and any page size; botocore checks only what the client sends
against the model's minimums. The real query APIs validate the rest server-side (a ``MaxItems``
of 1001 is a 400 ``ValidationError``), so this WSGI middleware checks every query-protocol
request (IAM 2010-05-08, STS 2011-06-15) against the input shape of its operation in
botocore's own service model (nhi_cli/kit/botocore_model.py): an undeclared parameter, or a value outside its
declared type, range or length, is answered with the ``ValidationError`` AWS sends, and a connector relying on either
fails its tests instead of production.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment
from xml.sax.saxutils import escape

from nhi_cli.kit.botocore_model import NonConforming, check_request, from_query, service_model

QUERY_SERVICES = {"2010-05-08": "iam", "2011-06-15": "sts"}  # Version= -> botocore service name


def request_problem(params: dict[str, list[str]]) -> str | None:
    """The ValidationError message AWS would answer ``params`` with, or None."""
    service = QUERY_SERVICES.get((params.get("Version") or [""])[0])
    action = (params.get("Action") or [""])[0]
    if service is None or not action:
        return None
    if action not in service_model(service).operation_names:
        return None  # moto answers an unknown action itself, as AWS does
    form = {name: values[0] for name, values in params.items() if name not in ("Action", "Version")}
    try:
        check_request(service, action, from_query(service, action, form))
    except NonConforming as exc:
        return str(exc)
    return None


def refuse_what_aws_refuses(app: WSGIApplication) -> WSGIApplication:
    """Wrap moto's WSGI app; the body is read once and handed on unchanged (it is signed)."""

    def checked(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
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
