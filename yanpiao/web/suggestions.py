"""The suggestion board's pages: the board (with the form to propose), one suggestion with its
comments (and, for staff, its status and points), and the leaderboard.

Thin adapters over :mod:`yanpiao.support.suggestions`, which checks who may do what and audits
the staff's steps.  Every page needs an account (a visitor is sent to log in); a staff-only
step is a 404 to anyone else, as for a page that does not exist.  The vote toggle posts inline
with htmx (``HX-Request``: the answer is the toggle again, with the new count) or as a plain
form (a redirect back to where it was posted from).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from yanpiao.access import visibility
from yanpiao.access.disclosure import user_label
from yanpiao.support import suggestions
from yanpiao.support.models import Suggestion
from yanpiao.web.errors import error_page
from yanpiao.web.suggestion_forms import AwardForm, BoardForm, CommentForm, ProposeForm, StatusForm

PAGE_SIZE = 20
# A step the service refuses (``Refused.code``), in the site's words.
REFUSALS = {
    "not_accepted": _("只有已计划或已完成的建议可以奖励积分。"),
    "no_author": _("这条建议的作者已注销账户，无法奖励积分。"),
    "own_suggestion": _("不能给自己提出的建议奖励积分。"),
    "points_invalid": _("积分须为 1 到 1000 之间的整数。"),
    "unknown_status": _("请选择有效的状态。"),
    "title_empty": _("请填写标题。"),
    "title_too_long": _("标题过长。"),
    "body_empty": _("请填写建议内容。"),
    "body_too_long": _("建议内容过长。"),
    "comment_empty": _("请填写评论。"),
    "comment_too_long": _("评论过长。"),
}


def _staff(request) -> None:
    if not visibility.is_staff(request.user):
        raise visibility.NotVisible("no such page")


def _refused(request, refused: suggestions.Refused):
    return error_page(request, 400, str(REFUSALS.get(refused.code, refused.message)))


def _back(request, default: str) -> str:
    """Where to go after a step: the page it was posted from, when it is one of this site's."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    return target if safe and target.startswith("/") else default


def _inline(request) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- the board -----------------------------------------------------------------------------------


@never_cache
@login_required
def board(request):
    """Every suggestion with its votes and status, filtered and sorted; POST proposes one."""
    if request.method == "POST":
        form = ProposeForm(request.POST)
        if form.is_valid():
            try:
                idea = suggestions.propose(
                    request.user, form.cleaned_data["title"], form.cleaned_data["body"]
                )
            except suggestions.Refused as refused:
                form.add_error(None, REFUSALS.get(refused.code, refused.message))
            else:
                messages.success(request, gettext("建议已提交，感谢您的参与。"))
                return redirect("web:suggestion", public_id=idea.public_id)
        return _render_board(request, propose_form=form, status=400)
    if request.method not in ("GET", "HEAD"):
        return error_page(request, 400)
    return _render_board(request)


def _render_board(request, propose_form=None, status=200):
    filters = BoardForm(request.GET)
    if not filters.is_valid():
        context = {"filters": filters, "page": None, "propose_form": propose_form or ProposeForm()}
        return render(request, "web/suggestions/board.html", context, status=400)
    chosen = filters.chosen()
    found = suggestions.listing(chosen.get("status", ""), chosen.get("sort", suggestions.DEFAULT_SORT))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    voted = suggestions.voted_by(request.user, page.object_list)
    context = {
        "filters": filters,
        "filtered": "status" in chosen,
        "page": page,
        "items": [
            {"suggestion": idea, "author": user_label(request.user, idea.author), "voted": idea.pk in voted}
            for idea in page.object_list
        ],
        "query": urlencode(chosen),
        "here": request.get_full_path(),
        "propose_form": propose_form or ProposeForm(),
    }
    return render(request, "web/suggestions/board.html", context, status=status)


# --- one suggestion ------------------------------------------------------------------------------


@never_cache
@login_required
@require_safe
def detail(request, public_id):
    return _render_detail(request, suggestions.find(public_id))


def _render_detail(request, idea: Suggestion, status: int = 200, **forms):
    staff = visibility.is_staff(request.user)
    context = {
        "suggestion": idea,
        "author": user_label(request.user, idea.author),
        "voted": suggestions.has_voted(request.user, idea),
        "comments": [(each, user_label(request.user, each.author)) for each in suggestions.comments_of(idea)],
        "points": suggestions.points_awarded(idea),
        "accepted": idea.status in suggestions.ACCEPTED,
        "staff": staff,
        "comment_form": forms.get("comment_form") or CommentForm(),
        "here": request.path,
    }
    if staff:
        context["status_form"] = forms.get("status_form") or StatusForm(initial={"status": idea.status})
        context["award_form"] = forms.get("award_form") or AwardForm()
    return render(request, "web/suggestions/detail.html", context, status=status)


@login_required
@require_POST
def vote(request, public_id):
    """Vote for the suggestion (``vote=add``) or take the vote back (``vote=remove``)."""
    idea = suggestions.find(public_id)
    choice = request.POST.get("vote", "add")
    if choice not in ("add", "remove"):
        return error_page(request, 400)
    (suggestions.vote if choice == "add" else suggestions.unvote)(idea, request.user)
    if _inline(request):
        context = {"suggestion": idea, "voted": choice == "add", "here": _back(request, request.path)}
        return render(request, "web/suggestions/_vote.html", context)
    return redirect(_back(request, reverse("web:suggestion", args=[idea.public_id])))


@login_required
@require_POST
def comment(request, public_id):
    idea = suggestions.find(public_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, idea, 400, comment_form=form)
    try:
        suggestions.comment(idea, request.user, form.cleaned_data["body"])
    except suggestions.Refused as refused:
        return _refused(request, refused)
    messages.success(request, gettext("评论已发表。"))
    return redirect(reverse("web:suggestion", args=[idea.public_id]) + "#comments")


@login_required
@require_POST
def set_status(request, public_id):
    """Staff set the suggestion's status (audited)."""
    _staff(request)
    idea = suggestions.find(public_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, idea, 400, status_form=form)
    suggestions.set_status(idea, request.user, form.cleaned_data["status"])
    messages.success(request, gettext("状态已更新。"))
    return redirect("web:suggestion", public_id=idea.public_id)


@login_required
@require_POST
def award(request, public_id):
    """Staff award points to the author of an accepted suggestion (audited)."""
    _staff(request)
    idea = suggestions.find(public_id)
    form = AwardForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, idea, 400, award_form=form)
    try:
        suggestions.award(idea, request.user, form.cleaned_data["points"])
    except suggestions.Refused as refused:  # not accepted, the author gone, one's own suggestion
        return _refused(request, refused)
    messages.success(request, gettext("已奖励 %(points)d 积分。") % {"points": form.cleaned_data["points"]})
    return redirect("web:suggestion", public_id=idea.public_id)


# --- the leaderboard -----------------------------------------------------------------------------


@never_cache
@login_required
@require_safe
def leaderboard(request):
    """Who proposed, by the points their accepted suggestions earned."""
    return render(
        request, "web/suggestions/leaderboard.html", {"standings": suggestions.leaderboard(request.user)}
    )


urlpatterns = [
    path("", board, name="suggestions"),
    path("leaderboard/", leaderboard, name="suggestion_leaderboard"),
    path("<uuid:public_id>/", detail, name="suggestion"),
    path("<uuid:public_id>/vote/", vote, name="suggestion_vote"),
    path("<uuid:public_id>/comments/", comment, name="suggestion_comment"),
    path("<uuid:public_id>/status/", set_status, name="suggestion_status"),
    path("<uuid:public_id>/award/", award, name="suggestion_award"),
]
