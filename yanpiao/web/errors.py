"""The error pages (400, 403, 404, 429, 500): one template, no form, nothing that can fail again.

Django's own handlers run the CSRF check again to offer a token; when the request's body is
what failed (a form in UTF-16), that check raises the same error and the 400 becomes a 500.
These handlers read nothing from the request but its path.
"""

from django.shortcuts import render

TITLES = {
    400: "请求无法处理 Bad request",
    403: "禁止访问 Forbidden",
    404: "页面不存在 Not found",
    429: "请求过于频繁 Too many requests",
    500: "服务器错误 Server error",
}


def error_page(request, status: int, detail: str = "", headers: dict | None = None):
    context = {"status": status, "title": TITLES[status], "detail": detail}
    response = render(request, "error.html", context, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def bad_request(request, exception=None):
    return error_page(
        request, 400, "请检查提交的内容（表单须为 UTF-8 编码）。Check what was sent (forms must be UTF-8)."
    )


def permission_denied(request, exception=None):
    return error_page(request, 403)


def page_not_found(request, exception=None):
    return error_page(request, 404)


def server_error(request):
    return error_page(request, 500, "请稍后再试。Please try again later.")
