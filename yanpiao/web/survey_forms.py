"""The forms of the survey pages: the builder (a survey's facts and its question rows) and the
invitee's answers, built from the survey's questions.

The builder's question rows are plain fields named ``q-<n>-kind``, ``q-<n>-text``,
``q-<n>-choices`` (one option a line) and ``q-<n>-required``; htmx adds a row at a time
(:func:`yanpiao.web.surveys.question_row`), and without JavaScript the page always shows one
empty row more.  A row without a question text is left out.
"""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from yanpiao.accounts.models import Organisation
from yanpiao.support import surveys
from yanpiao.support.models import Question, Survey

ROW = re.compile(r"^q-(\d+)-text$")


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    introduction = forms.CharField(
        label=_("说明（选填）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    audience = forms.ChoiceField(label=_("受众"), choices=Survey.Audience.choices, widget=forms.RadioSelect)
    organisation = forms.ModelChoiceField(
        label=_("单位"), queryset=Organisation.objects.order_by("pk"), required=False
    )
    active_from = forms.DateField(
        label=_("活跃开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    active_until = forms.DateField(
        label=_("活跃结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if "audience" in data:
            problems = surveys.check_audience(
                data["audience"], data.get("organisation"), data.get("active_from"), data.get("active_until")
            )
            for field, problem in problems.items():
                self.add_error(field, problem)
        return data


def question_rows(data) -> list[dict]:
    """The builder's rows as posted, in order: ``{"index", "kind", "text", "choices", "required"}``."""
    indexes = sorted(int(m.group(1)) for key in data if (m := ROW.match(key)))
    return [
        {
            "index": index,
            "kind": data.get(f"q-{index}-kind", Question.Kind.SINGLE),
            "text": data.get(f"q-{index}-text", "").strip(),
            "choices": data.get(f"q-{index}-choices", ""),
            "required": bool(data.get(f"q-{index}-required")),
        }
        for index in indexes[: surveys.MAX_QUESTIONS + 1]
    ]


def drafts_from(rows: list[dict]) -> list[surveys.QuestionDraft]:
    return [
        surveys.QuestionDraft(row["kind"], row["text"], tuple(row["choices"].splitlines()), row["required"])
        for row in rows
        if row["text"]
    ]


def rows_of(survey: Survey) -> list[dict]:
    return [
        {
            "index": n,
            "kind": q.kind,
            "text": q.text,
            "choices": "\n".join(q.choices),
            "required": q.required,
        }
        for n, q in enumerate(survey.questions.all())
    ]


def empty_row(index: int) -> dict:
    return {"index": index, "kind": Question.Kind.SINGLE, "text": "", "choices": "", "required": True}


def answers_from(survey: Survey, data) -> dict:
    """The invitee's answers as posted (``a-<position>``), by position."""
    answers = {}
    for question in survey.questions.all():
        name = f"a-{question.position}"
        if question.kind == Question.Kind.MULTIPLE:
            answers[str(question.position)] = data.getlist(name)
        else:
            answers[str(question.position)] = data.get(name, "")
    return answers
