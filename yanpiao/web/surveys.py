"""The survey pages: staff list, build, send and read surveys; an invitee answers by the link's
token (no log-in: the token is the key) and may unsubscribe.

Thin adapters over :mod:`yanpiao.support.surveys`, which audits each step.  Anyone but staff
gets 404 on the staff pages, as for a page that does not exist; an unknown token is a 404 too.
The results' charts are drawn by ``web/support-charts.js`` from a JSON script tag (the content
security policy refuses inline scripts), with the same numbers in tables beside them.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from yanpiao.access import visibility
from yanpiao.support import surveys
from yanpiao.support.models import Question, Survey
from yanpiao.web import survey_forms
from yanpiao.web.errors import error_page

REFUSALS = {
    "not_draft": _("这份问卷已经发送，不能再修改或发送。"),
    "already_answered": _("您已经提交过这份问卷，每位受邀者只能回答一次。谢谢！"),
    "closed": _("这份问卷已结束，不再接受回答。"),
}
ROW_PROBLEM = _("请检查这个问题：填写题干；选择题需要 2 到 12 个不重复的选项（每行一个）。")
ANSWER_PROBLEM = _("请按要求回答这一题。")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _staff(request) -> None:
    if not visibility.is_staff(request.user):
        raise visibility.NotVisible("no such page")


# --- staff: list and builder -------------------------------------------------------------------


@never_cache
@login_required
@require_safe
def survey_list(request):
    _staff(request)
    found = Survey.objects.order_by("-created_at", "-pk")
    rows = [
        (survey, survey.invitations.count(), survey.invitations.filter(responded_at__isnull=False).count())
        for survey in found[:200]
    ]
    return render(request, "web/surveys/list.html", {"rows": rows})


def _builder(request, survey: Survey | None):
    if request.method == "POST":
        form = survey_forms.SurveyForm(request.POST)
        rows = survey_forms.question_rows(request.POST)
        drafts = survey_forms.drafts_from(rows)
        problems = surveys.check_questions(drafts)
        if form.is_valid() and not problems:
            data = form.cleaned_data
            try:
                survey = surveys.save_draft(
                    request.user,
                    drafts,
                    title=data["title"],
                    introduction=data["introduction"],
                    audience=data["audience"],
                    organisation=data.get("organisation"),
                    active_from=data.get("active_from"),
                    active_until=data.get("active_until"),
                    survey=survey,
                )
            except surveys.SurveyError as refused:
                return error_page(request, 400, str(REFUSALS.get(refused.code, "")))
            messages.success(request, gettext("问卷已保存。"))
            return redirect("web:survey", public_id=survey.public_id)
        status = 400
        written = [row for row in rows if row["text"]]
        for position, row in enumerate(written, 1):
            row["problem"] = ROW_PROBLEM if position in problems else ""
        questions_missing = "questions" in problems
    else:
        status, questions_missing = 200, False
        if survey is None:
            form = survey_forms.SurveyForm(initial={"audience": Survey.Audience.ALL})
            rows = []
        else:
            form = survey_forms.SurveyForm(
                initial={
                    "title": survey.title,
                    "introduction": survey.introduction,
                    "audience": survey.audience,
                    "organisation": survey.organisation_id,
                    "active_from": survey.active_from,
                    "active_until": survey.active_until,
                }
            )
            rows = survey_forms.rows_of(survey)
    rows = [row for row in rows if row["text"]]
    for n, row in enumerate(rows):
        row["index"] = n
    rows.append(survey_forms.empty_row(len(rows)))
    context = {
        "form": form,
        "survey": survey,
        "rows": rows,
        "kinds": Question.Kind.choices,
        "questions_missing": questions_missing,
        "next_index": len(rows),
    }
    return render(request, "web/surveys/builder.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def survey_new(request):
    _staff(request)
    return _builder(request, None)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def survey_edit(request, public_id):
    survey = surveys.survey_for(request.user, public_id)
    if survey.status != Survey.Status.DRAFT:
        return error_page(request, 400, str(REFUSALS["not_draft"]))
    return _builder(request, survey)


@login_required
@require_GET
def question_row(request):
    """One more empty question row for the builder (htmx), numbered ``?index=``."""
    _staff(request)
    try:
        index = int(request.GET.get("index", "0"))
    except ValueError:
        return error_page(request, 400)
    if not 0 <= index < surveys.MAX_QUESTIONS:
        return HttpResponse(status=204)
    context = {"row": survey_forms.empty_row(index), "kinds": Question.Kind.choices, "next_index": index + 1}
    return render(request, "web/surveys/_question_added.html", context)


# --- staff: one survey -------------------------------------------------------------------------


def _charts(found: dict) -> list[dict]:
    charts = []
    for entry in found["questions"]:
        question = entry["question"]
        if "counts" in entry:
            data = {"labels": list(entry["counts"]), "data": list(entry["counts"].values())}
        elif "ratings" in entry:
            data = {"labels": [f"{s}" for s in entry["ratings"]], "data": list(entry["ratings"].values())}
        else:
            continue
        charts.append({"key": f"q{question.position}", "title": question.text, **data})
    return charts


@never_cache
@login_required
@require_safe
def survey_detail(request, public_id):
    survey = surveys.survey_for(request.user, public_id)
    found = surveys.results(survey)
    context = {
        "survey": survey,
        "found": found,
        "charts": _charts(found),
        "audience_size": surveys.audience(survey).count() if survey.status == Survey.Status.DRAFT else None,
    }
    return render(request, "web/surveys/detail.html", context)


@login_required
@require_POST
def survey_send(request, public_id):
    survey = surveys.survey_for(request.user, public_id)
    try:
        count = surveys.send(survey, request.user)
    except surveys.SurveyError as refused:
        return error_page(request, 400, str(REFUSALS.get(refused.code, "")))
    messages.success(request, gettext("已邀请 %(count)d 位用户，邀请将陆续发出。") % {"count": count})
    return redirect("web:survey", public_id=survey.public_id)


@login_required
@require_POST
def survey_close(request, public_id):
    survey = surveys.survey_for(request.user, public_id)
    surveys.close(survey, request.user)
    messages.success(request, gettext("问卷已结束。"))
    return redirect("web:survey", public_id=survey.public_id)


@never_cache
@login_required
@require_safe
def survey_export(request, public_id, kind: str):
    survey = surveys.survey_for(request.user, public_id)
    if kind not in CONTENT_TYPES:
        raise visibility.NotVisible("no such format")
    content = surveys.export(survey, request.user, kind)
    response = HttpResponse(content, content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.public_id}.{kind}"'
    return response


# --- the invitee -------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def respond(request, token: str):
    """The questionnaire of the link's invitation; after answering, thanks; a second time, a
    note that it was answered (409)."""
    invitation = surveys.invitation_for(token)
    survey = invitation.survey
    context = {"survey": survey, "token": token, "questions": list(survey.questions.all()), "problems": {}}
    if surveys.answered(invitation):
        return render(
            request, "web/surveys/answered.html", context, status=409 if request.method == "POST" else 200
        )
    if survey.status != Survey.Status.SENT:
        return render(request, "web/surveys/answered.html", {**context, "closed": True})
    if request.method == "POST":
        answers = survey_forms.answers_from(survey, request.POST)
        try:
            surveys.respond(token, answers)
        except surveys.AlreadyAnswered:
            return render(request, "web/surveys/answered.html", context, status=409)
        except surveys.SurveyError as refused:
            problems = {key: ANSWER_PROBLEM for key in refused.fields}
            context.update(problems=problems, answers=answers, refusal=REFUSALS.get(refused.code, ""))
            return render(request, "web/surveys/respond.html", context, status=400)
        return render(request, "web/surveys/thanks.html", context)
    return render(request, "web/surveys/respond.html", {**context, "answers": {}})


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """Confirm, by POST, that the invitee wants no more surveys."""
    invitation = surveys.invitation_for(token)
    done = surveys.opted_out(invitation)
    if request.method == "POST" and not done:
        surveys.unsubscribe(token)
        done = True
    return render(request, "web/surveys/unsubscribe.html", {"token": token, "done": done})


urlpatterns = [
    path("", survey_list, name="surveys"),
    path("new/", survey_new, name="survey_new"),
    path("question-row/", question_row, name="survey_question_row"),
    path("respond/<str:token>/", respond, name="survey_respond"),
    path("unsubscribe/<str:token>/", unsubscribe, name="survey_unsubscribe"),
    path("<uuid:public_id>/", survey_detail, name="survey"),
    path("<uuid:public_id>/edit/", survey_edit, name="survey_edit"),
    path("<uuid:public_id>/send/", survey_send, name="survey_send"),
    path("<uuid:public_id>/close/", survey_close, name="survey_close"),
    path("<uuid:public_id>/export/<str:kind>/", survey_export, name="survey_export"),
]
