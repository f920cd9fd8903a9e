"""The header's navigation, the same on every page: what the visitor may go to, in order.

A context processor (``links`` in the template settings): each page gets ``navigation``, a list of
``{"name", "label", "url", "current"}``.  A link shows only when its page exists and the visitor
may use it (history needs an account, the issuer pages the issuer role).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from yanpiao.accounts.models import Role


@dataclass(frozen=True)
class Link:
    name: str  # the URL name
    label: str
    who: str = "anyone"  # anyone, signed_in, issuer


LINKS = (
    Link("web:home", _("查验")),
    Link("web:scan", _("扫码")),
    Link("web:upload", _("上传")),
    Link("web:history", _("查验记录"), "signed_in"),
    Link("web:batches", _("批量查验"), "signed_in"),
    Link("web:issuer", _("开票"), "issuer"),
    Link("web:suggestions", _("建议箱"), "signed_in"),
    Link("web:tickets", _("工单"), "signed_in"),
    Link("web:alerts", _("预警"), "staff"),
    Link("web:surveys", _("问卷"), "staff"),
    Link("web:help", _("帮助")),
)


def _allowed(link: Link, user) -> bool:
    if link.who == "anyone":
        return True
    if not user.is_authenticated:
        return False
    if link.who == "staff":
        return bool(getattr(user, "has_staff_role", False))
    return link.who == "signed_in" or getattr(user, "role", None) == Role.ISSUER


def _label(link: Link, user):
    """The link's words; the alerts link with a badge of the open alerts (``data-alert-count``)."""
    from django.utils.html import format_html  # here, so the links above stay a plain table
    from django.utils.translation import ngettext

    from yanpiao.alerts import services as alerts

    if link.name != "web:alerts":
        return link.label
    count = alerts.open_count(user)
    if not count:
        return link.label
    hint = ngettext("%(count)d 条待处理", "%(count)d 条待处理", count) % {"count": count}
    return format_html(
        '{} <span class="badge" data-alert-count="{}"><span aria-hidden="true">{}</span>'
        '<span class="visually-hidden">（{}）</span></span>',
        link.label,
        count,
        count,
        hint,
    )


def links(request) -> dict:
    user = getattr(request, "user", None)
    if user is None:
        return {"navigation": []}
    here = request.path
    navigation = []
    for link in LINKS:
        if not _allowed(link, user):
            continue
        try:
            url = reverse(link.name)
        except NoReverseMatch:  # a page that does not exist (yet)
            continue
        current = here == url if url == "/" else here.startswith(url)
        navigation.append(
            {"name": link.name.split(":")[1], "label": _label(link, user), "url": url, "current": current}
        )
    return {"navigation": navigation}
