"""The one shape of every error the API answers: ``{"error": {"code", "message", "fields"}}``.

``code`` is stable and meant for programs (``invalid_request``, ``not_found``,
``too_many_requests`` …); ``message`` is for people, in Chinese and English; ``fields`` names
the fields at fault, each with its message (empty when the error is not about a field).
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from yanpiao.access.visibility import NotVisible
from yanpiao.accounts.tokens import MissingScope
from yanpiao.verification.throttling import TooManyChecks

logger = logging.getLogger(__name__)

# The default message of each status, when the code that raises gives none.
MESSAGES = {
    400: ("invalid_request", "请求有误。The request is not valid."),
    401: ("not_authenticated", "请先登录或提供有效的令牌。Sign in or send a valid bearer token."),
    403: ("forbidden", "无权执行此操作。You may not do this."),
    404: ("not_found", "未找到。Not found."),
    405: ("method_not_allowed", "不支持此方法。Method not allowed."),
    413: ("too_large", "上传的内容过大。What was sent is too large."),
    429: ("too_many_requests", "请求过于频繁，请稍后再试。Too many requests; try again later."),
    500: ("server_error", "服务器错误，请稍后再试。Server error; please try again later."),
}


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, str]


class Error(Schema):
    """Every 4xx answer."""

    error: ErrorBody


class ApiError(Exception):
    """Raised by an endpoint to answer ``status`` in the error shape."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: str | None = None,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ):
        default_code, default_message = MESSAGES.get(status, MESSAGES[400])
        self.status = status
        self.code = code or default_code
        self.message = message or default_message
        self.fields = fields or {}
        self.headers = headers or {}
        super().__init__(self.message)


def too_many(retry_after: int) -> ApiError:
    """429: a limit is reached; ``Retry-After`` and the message say when to try again."""
    return ApiError(
        429,
        "too_many_requests",
        f"请求过于频繁，请 {retry_after} 秒后再试。Too many requests; try again in {retry_after} s.",
        headers={"Retry-After": str(retry_after)},
    )


def invalid_cursor() -> ApiError:
    """400: a paging cursor this site did not make (altered, cut short, from elsewhere)."""
    return ApiError(
        400,
        "invalid_cursor",
        "翻页游标无效。The cursor is not valid; start again without it.",
        {"cursor": "not a cursor of this site"},
    )


def response(
    status: int, code: str | None = None, message: str | None = None, fields=None, headers=None
) -> HttpResponse:
    return to_response(ApiError(status, code, message, fields, headers))


def to_response(error: ApiError) -> HttpResponse:
    body = {"error": {"code": error.code, "message": error.message, "fields": error.fields}}
    answer = JsonResponse(body, status=error.status, json_dumps_params={"ensure_ascii": False})
    for name, value in error.headers.items():
        answer[name] = value
    return answer


def _field_name(location) -> str:
    """A pydantic error location as the client named the field.  django-ninja reports
    ``(kind, parameter, field, …)`` for a schema parameter (``("body", "fields", "number")`` →
    ``number``) and ``(kind, parameter)`` for a plain one; an item of a list is reported on the
    list (``scopes.0`` → ``scopes``)."""
    parts = [str(part) for part in location]
    if parts and parts[0] in ("body", "query", "path", "form", "file", "header", "cookie"):
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    named = []
    for part in parts:
        if part.isdigit():
            break
        named.append(part)
    return ".".join(named) or "body"


def validation_fields(errors) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in errors:
        name = _field_name(error.get("loc", ()))
        fields.setdefault(name, str(error.get("msg", "invalid")))
    return fields


def install(api) -> None:
    """Make every error the API can meet answer in the one shape."""

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError):
        return to_response(exc)

    @api.exception_handler(NinjaValidationError)
    def invalid(request: HttpRequest, exc: NinjaValidationError):
        return response(
            400,
            "invalid_request",
            "请求内容有误，请检查各字段。Some fields are not valid; see fields.",
            validation_fields(exc.errors),
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError):
        return response(401)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError):
        code, message = MESSAGES.get(exc.status_code, MESSAGES[400])
        return response(exc.status_code, code, message)

    @api.exception_handler(NotVisible)
    def not_visible(request: HttpRequest, exc: NotVisible):
        return response(404)

    @api.exception_handler(MissingScope)
    def missing_scope(request: HttpRequest, exc: MissingScope):
        return response(403, "missing_scope", f"令牌缺少所需权限。{exc}")

    @api.exception_handler(TooManyChecks)
    def too_many_checks(request: HttpRequest, exc: TooManyChecks):
        return response(429, "too_many_requests", exc.message, headers={"Retry-After": str(exc.retry_after)})

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request: HttpRequest, exc: SuspiciousOperation):
        if isinstance(exc, (RequestDataTooBig, TooManyFilesSent, TooManyFieldsSent)):
            return response(
                413,
                "too_large",
                "请求过大：内容、字段或文件过多。The request is too large: too much data, too many fields or files.",
            )
        return response(400)

    @api.exception_handler(MultiPartParserError)
    def unreadable_form(request: HttpRequest, exc: MultiPartParserError):
        return response(400, "invalid_request", "无法读取上传的表单。The multipart form cannot be read.")

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception):
        logger.exception("API: unexpected error on %s %s", request.method, request.path)
        return response(500)


KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


class ErrorShapeMiddleware:
    """Under ``/api/``, an error answer that did not come from the API's handlers (a 405 from
    the router, Django's 404 or 500 page, a 4xx from a middleware) is given the one error shape,
    keeping its status and its ``Allow``, ``Retry-After`` and ``WWW-Authenticate`` headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        answer = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and answer.status_code >= 400
            and not answer.get("Content-Type", "").startswith("application/json")
        ):
            headers = {name: answer[name] for name in KEPT_HEADERS if answer.has_header(name)}
            code, message = MESSAGES.get(
                answer.status_code, MESSAGES[400 if answer.status_code < 500 else 500]
            )
            return response(answer.status_code, code, message, headers=headers)
        return answer
