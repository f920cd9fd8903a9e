"""The error pages: in the site's layout, in the visitor's language, and never failing themselves."""

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from yanpiao.web import errors

pytestmark = pytest.mark.django_db

HANDLERS = {
    400: errors.bad_request,
    403: errors.permission_denied,
    404: errors.page_not_found,
    500: errors.server_error,
}


def in_layout(html: str) -> bool:
    return 'class="site-header"' in html and 'class="site-footer"' in html


@pytest.mark.parametrize("status", sorted(HANDLERS))
def test_each_handler_draws_its_status_in_the_layout(rf, status):
    page = HANDLERS[status](rf.get("/somewhere"))
    html = page.content.decode()
    assert page.status_code == status and f'data-error="{status}"' in html and in_layout(html)
    assert str(errors.PAGES[status][0]) in html and 'href="/"' in html


def test_a_429_carries_its_detail_and_headers(rf):
    page = errors.error_page(rf.get("/"), 429, "请 5 分钟后再试。", {"Retry-After": "300"})
    html = page.content.decode()
    assert page.status_code == 429 and page["Retry-After"] == "300"
    assert 'data-error="429"' in html and "请 5 分钟后再试。" in html and in_layout(html)


def test_an_unknown_path_is_a_404_page_in_chinese(client):
    page = client.get("/no/such/page/")
    html = page.content.decode()
    assert page.status_code == 404 and 'data-error="404"' in html and in_layout(html)
    assert 'lang="zh-Hans"' in html and "页面不存在" in html


def test_an_unknown_path_is_a_404_page_in_english():
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/no/such/page/")
    html = page.content.decode()
    assert page.status_code == 404 and 'data-error="404"' in html and in_layout(html)
    with translation.override("en"):
        assert '<html lang="en">' in html and translation.gettext("页面不存在") in html


def test_a_signed_in_visitor_keeps_their_header_on_an_error_page(login, make_user):
    html = login(make_user()).get("/no/such/page/").content.decode()
    assert 'data-error="404"' in html and 'data-nav="account"' in html


def test_a_server_error_page_is_drawn_even_without_the_database(rf):
    request = rf.get("/history/")

    def no_database():
        raise OperationalError("the database is gone")

    request.user = SimpleLazyObject(no_database)
    page = errors.server_error(request)
    html = page.content.decode()
    assert page.status_code == 500 and 'data-error="500"' in html and in_layout(html)
    assert 'data-nav="login"' in html  # drawn as an anonymous visitor sees it


def test_a_bad_request_reads_nothing_of_the_body(rf):
    class Unreadable:
        def read(self, *args):
            raise AssertionError("the error page read the body")

        readline = read

    request = rf.post("/", {"number": "1"})
    request._stream = Unreadable()
    page = errors.bad_request(request)
    assert page.status_code == 400 and 'data-error="400"' in page.content.decode()


def test_a_record_one_may_not_see_is_the_same_404_page_without_the_reason(login, make_user):
    page = login(make_user()).get("/invoices/1234567890/99999999/")
    html = page.content.decode()
    assert page.status_code == 404 and 'data-error="404"' in html and "no such invoice" not in html
