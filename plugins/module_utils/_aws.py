# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that maps botocore errors and applies retries.

Every function of an ``_<service>/api.py`` module is decorated with
:func:`aws_call`. It retries throttling and transient errors with jittered
backoff and turns every botocore error into :class:`CutoverError`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore.

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError

F = TypeVar("F", bound=Callable[..., Any])

# Error codes that are worth another try besides AWSRetry's defaults.
RETRY_CODES = [
    "ThrottlingException",
    "Throttled",
    "TooManyRequests",
    "SlowDown",
    "ServerException",
    "InternalServerError",
    "InternalServerException",
    "ServiceUnavailableException",
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
]

_retry = AWSRetry.jittered_backoff(retries=10, delay=1, max_delay=20, catch_extra_error_codes=RETRY_CODES)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError, or '' for anything else."""
    response = getattr(exc, "response", None) or {}
    return (response.get("Error") or {}).get("Code", "") or ""


def aws_call(description: str, missing: Iterable[str] = (), missing_value: Any = None) -> Callable[[F], F]:
    """Decorate one boto3 call: retries, and one error mapping.

    ``description`` completes "Failed to ...". When the error code is one of
    ``missing`` the function returns ``missing_value`` instead of failing
    (describe and delete calls of resources that are already gone).
    """
    missing_codes = frozenset(missing)

    def decorator(func: F) -> F:
        retrying = _retry(func)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return retrying(*args, **kwargs)
            except botocore.exceptions.ClientError as exc:
                code = error_code(exc)
                if code in missing_codes:
                    return missing_value
                message = (exc.response.get("Error") or {}).get("Message", "") or str(exc)
                raise CutoverError(f"Failed to {description}: {code}: {message}", code=code, exception=exc) from exc
            except botocore.exceptions.BotoCoreError as exc:
                raise CutoverError(f"Failed to {description}: {exc}", exception=exc) from exc

        return wrapper  # type: ignore[return-value]

    return decorator


def paginate(client: Any, operation: str, result_key: str, **params: Any) -> list:
    """All pages of a list call, flattened on ``result_key``."""
    items: list = []
    for page in client.get_paginator(operation).paginate(**params):
        items.extend(page.get(result_key, []))
    return items
