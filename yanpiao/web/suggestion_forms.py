"""The forms of the suggestion board: proposing, the board's filter and sort, a comment, and the
staff's status and points.

The limits are the service's (:mod:`yanpiao.support.suggestions`), the statuses the model's own
(``Suggestion.Status``) with the words they are declared with.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yanpiao.support import suggestions
from yanpiao.support.models import Suggestion

SORT_CHOICES = [("votes", _("票数最多")), ("newest", _("最新提交"))]
assert [value for value, _label in SORT_CHOICES] == list(suggestions.SORTS)


class ProposeForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=suggestions.TITLE_LENGTH)
    body = forms.CharField(
        label=_("建议内容"),
        max_length=suggestions.BODY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("说说您希望改进什么、为什么。请不要填写手机号等个人信息。"),
    )


class BoardForm(forms.Form):
    """The board's filter and sort, as a GET form; both optional."""

    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *Suggestion.Status.choices]
    )
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=SORT_CHOICES)

    def chosen(self) -> dict[str, str]:
        """The filter and sort given (valid, not empty), as query parameters."""
        return {name: value for name, value in self.cleaned_data.items() if value}


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("评论"), max_length=suggestions.COMMENT_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=Suggestion.Status.choices)


class AwardForm(forms.Form):
    points = forms.IntegerField(label=_("奖励积分"), min_value=1, max_value=suggestions.MAX_POINTS)
