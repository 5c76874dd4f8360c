"""The AWS wire protocol as the lab needs it: who is calling what, and AWS-shaped answers.

Parsing follows what the SDKs send:
- the service is the SigV4 signing name from the ``Authorization`` credential scope
  (``Credential=AKID/20250101/us-east-1/ecs/aws4_request``);
- the operation is the suffix of ``X-Amz-Target`` (JSON protocols) or the ``Action``
  parameter (query and EC2 protocols, in the query string or the form body).
Errors are rendered the way botocore's parser for that protocol reads them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

if TYPE_CHECKING:
    from lab.server import Lab

__all__ = [
    "Request",
    "Response",
    "aws_error",
    "is_mutating",
    "json_response",
    "parse_request",
    "xml_response",
]

DEFAULT_REGION = "us-east-1"
READ_PREFIXES = ("Describe", "List", "Get", "BatchGet")
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/]+)/([^/]+)/aws4_request")

# For unsigned JSON requests: the X-Amz-Target prefix names the service.
TARGET_PREFIX_SERVICE = {
    "AmazonEC2ContainerServiceV20141113": "ecs",
    "AmazonEC2ContainerRegistry_V20150921": "ecr",
    "CodeDeploy_20141006": "codedeploy",
    "Logs_20140328": "logs",
    "GraniteServiceVersion20100801": "monitoring",
}

# JSON services that AWS also serves over the query protocol ("awsQueryCompatible"):
# botocore takes the error code from the x-amzn-query-error header when present.
QUERY_COMPATIBLE = frozenset({"monitoring", "sqs"})


def is_mutating(operation: str) -> bool:
    """True unless the operation only reads (Describe*, List*, Get*, BatchGet*)."""
    return not operation.startswith(READ_PREFIXES)


@dataclass
class Request:
    """One parsed AWS API call.

    ``params``: the JSON body (JSON protocols) or the flat form
    (``{"Action": ..., "Names.member.1": ...}``) for query and EC2 protocols.
    ``call_moto()`` sends the untouched request to moto and returns its Response,
    so an interceptor can also pass through and then edit the answer.
    ``response`` is set before after-hooks run.
    """

    service: str
    operation: str
    region: str
    account_id: str
    params: dict[str, Any]
    protocol: str  # "json" | "query" | "ec2" | "rest"
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    environ: dict[str, Any] = field(repr=False)
    lab: Lab | None = field(default=None, repr=False)
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    response: Response | None = field(default=None, repr=False)
    _moto: Callable[[Request], Response] | None = field(default=None, repr=False)

    @property
    def mutating(self) -> bool:
        return is_mutating(self.operation)

    def call_moto(self) -> Response:
        if self._moto is None:
            raise RuntimeError("this request is not attached to a moto store")
        return self._moto(self)


def service_and_region(authorization: str, target: str) -> tuple[str, str]:
    """(signing name, region) from the SigV4 credential scope, else from the target prefix."""
    match = _CREDENTIAL_SCOPE.search(authorization)
    if match:
        return match.group(2).lower(), match.group(1)
    prefix = target.split(".", 1)[0]
    return TARGET_PREFIX_SERVICE.get(prefix, "unknown"), DEFAULT_REGION


def operation_of(target: str, query: dict[str, str], form: dict[str, str], method: str, path: str) -> str:
    if target:
        return target.rsplit(".", 1)[-1]
    action = query.get("Action") or form.get("Action")
    if action:
        return action
    # smithy-rpc-v2-cbor: POST /service/<Service>/operation/<Operation>
    parts = path.strip("/").split("/")
    if len(parts) == 4 and parts[0] == "service" and parts[2] == "operation":
        return parts[3]
    return f"{method} {path}"


def protocol_of(service: str, target: str, has_action: bool) -> str:
    if target:
        return "json"
    if has_action:
        return "ec2" if service == "ec2" else "query"
    return "rest"


def _form(content_type: str, body: bytes) -> dict[str, str]:
    if not body or not content_type.startswith("application/x-www-form-urlencoded"):
        return {}
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _json_body(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def parse_request(environ: dict[str, Any], body: bytes, account_id: str) -> Request:
    headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    target = headers.get("x-amz-target", "")
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "/")
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    form = _form(headers.get("content-type", ""), body)
    service, region = service_and_region(headers.get("authorization", ""), target)
    operation = operation_of(target, query, form, method, path)
    protocol = protocol_of(service, target, "Action" in query or "Action" in form)
    params: dict[str, Any] = _json_body(body) if protocol in ("json", "rest") else {**query, **form}
    return Request(
        service=service,
        operation=operation,
        region=region,
        account_id=account_id,
        params=params,
        protocol=protocol,
        method=method,
        path=path,
        headers=headers,
        body=body,
        environ=environ,
    )


# responses -----------------------------------------------------------------


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, default=_json_default), status=status, content_type=JSON_CONTENT_TYPE)


def xml_response(body: str, status: int = 200) -> Response:
    return Response(body, status=status, content_type="text/xml")


def _json_default(value: Any) -> Any:
    # Datetimes go out as epoch seconds, as the JSON protocols expect timestamps.
    if hasattr(value, "timestamp"):
        return value.timestamp()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def fault_side(status: int) -> str:
    return "Sender" if status < 500 else "Receiver"


def aws_error(req: Request, code: str, message: str, status: int = 400) -> Response:
    """An error the SDK parses into ``ClientError`` with this code, in the request's protocol."""
    if req.protocol == "query":
        return _query_error(req, code, message, status)
    if req.protocol == "ec2":
        return _ec2_error(req, code, message, status)
    response = json_response({"__type": code, "message": message}, status)
    response.headers["x-amzn-ErrorType"] = code
    response.headers["x-amzn-RequestId"] = req.request_id
    if req.service in QUERY_COMPATIBLE:
        response.headers["x-amzn-query-error"] = f"{code};{fault_side(status)}"
    return response


def _query_error(req: Request, code: str, message: str, status: int) -> Response:
    body = (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        f"<Error><Type>{fault_side(status)}</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{req.request_id}</RequestId></ErrorResponse>"
    )
    return xml_response(body, status)


def _ec2_error(req: Request, code: str, message: str, status: int) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error></Errors>"
        f"<RequestID>{req.request_id}</RequestID></Response>"
    )
    return xml_response(body, status)
