"""The error pages (400, 403, 404, 429, 500): one template in the site's layout, nothing that can fail again.

Django's own handlers run the CSRF check again to offer a token; when the request's body is
what failed (a form in UTF-16), that check raises the same error and the 400 becomes a 500.
These handlers read nothing from the request but its path.  When the page cannot be drawn
with the visitor's context (a 500 because the database is gone: no session, no user), it is
drawn without it: the layout as an anonymous visitor sees it.
"""

import logging

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# For each status: a title, and what happened in plain words.
PAGES = {
    400: (_("请求无法处理"), _("提交的内容无法读取。请检查后再试（表单须为 UTF-8 编码）。")),
    403: (_("禁止访问"), _("您没有权限打开这个页面。请确认已用正确的账户登录。")),
    404: (_("页面不存在"), _("找不到这个页面：链接可能有误，或者页面已不存在。")),
    429: (_("请求过于频繁"), _("短时间内的请求太多了，请稍后再试。")),
    500: (_("服务器错误"), _("服务器出了问题，没能完成这个请求。请稍后再试。")),
}
TEMPLATE = "error.html"


def error_page(request, status: int, detail: str = "", headers: dict | None = None) -> HttpResponse:
    """The error page of ``status`` (``detail``: a sentence more, such as when to try again)."""
    title, explanation = PAGES[status]
    context = {"status": status, "title": title, "explanation": explanation, "detail": detail}
    try:
        response = render(request, TEMPLATE, context, status=status)
    except Exception:  # whatever broke the request broke its context too: the page without it
        logger.exception("the error page %s is drawn without the visitor's context", status)
        response = HttpResponse(render_to_string(TEMPLATE, context), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def bad_request(request, exception=None):
    return error_page(request, 400)


def permission_denied(request, exception=None):
    return error_page(request, 403)


def page_not_found(request, exception=None):
    return error_page(request, 404)


def server_error(request):
    return error_page(request, 500)
