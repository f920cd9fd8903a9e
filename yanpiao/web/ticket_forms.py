"""The forms of the ticket pages: a new ticket, a reply with its attachments, staff's note,
assignment, queue filters and canned answers, and the owner's rating of a closed ticket.

The choices are the ticket model's own (``Ticket.Category``, ``Ticket.Status``) and the rated
aspects those of :data:`yanpiao.feedback.models.ASPECTS`; the limits those of
:mod:`yanpiao.support.tickets`, which checks everything again.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yanpiao.accounts.models import STAFF_ROLES, User
from yanpiao.feedback.models import ASPECTS, COMMENT_LENGTH
from yanpiao.support import tickets
from yanpiao.support.models import Ticket
from yanpiao.web.alert_forms import StaffChoiceField

ACCEPT = "image/png,image/jpeg,image/webp,audio/webm,audio/ogg,audio/mp4"
SCORES = [("", _("不评"))] + [(str(n), str(n)) for n in range(1, 6)]


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Screenshots and voice notes: at most :data:`~yanpiao.support.tickets.MAX_FILES`, none required."""

    widget = MultipleFileInput(attrs={"accept": ACCEPT, "data-attachments": ""})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [each for each in (data or []) if each]
        if len(files) > tickets.MAX_FILES:
            raise forms.ValidationError(_("每条消息最多附 %(count)d 个文件。") % {"count": tickets.MAX_FILES})
        return [super(FilesField, self).clean(each, initial) for each in files]


def uploads(files) -> list[tickets.Upload]:
    """The files of a form as the service takes them (each read once, within the upload limit)."""
    return [tickets.Upload(each.name, each.read()) for each in files]


class TicketForm(forms.Form):
    category = forms.ChoiceField(label=_("类别"), choices=Ticket.Category.choices)
    subject = forms.CharField(label=_("标题"), max_length=tickets.SUBJECT_LENGTH)
    body = forms.CharField(
        label=_("问题描述"),
        max_length=tickets.BODY_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "data-voice-target": ""}),
        help_text=_("可直接说话输入，或录一段语音附上。"),
    )
    files = FilesField(label=_("截图或语音（最多 3 个）"))
    verification = forms.UUIDField(required=False, widget=forms.HiddenInput)


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("回复"),
        max_length=tickets.BODY_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "data-voice-target": ""}),
    )
    files = FilesField(label=_("截图或语音（最多 3 个）"))

    def clean(self):
        data = super().clean()
        if not data.get("body", "").strip() and not data.get("files"):
            raise forms.ValidationError(_("请填写回复内容或附上文件。"))
        return data


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("内部备注（用户看不到）"),
        max_length=tickets.BODY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def staff_queryset():
    return User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("display_name", "pk")


class AssignForm(forms.Form):
    assignee = StaffChoiceField(
        label=_("负责人"), queryset=User.objects.none(), required=False, empty_label=_("（无人）")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_queryset()


class FilterForm(forms.Form):
    """The staff queue's filters, as a GET form; every one optional."""

    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *Ticket.Status.choices]
    )
    category = forms.ChoiceField(
        label=_("类别"), required=False, choices=[("", _("全部")), *Ticket.Category.choices]
    )
    assignee = forms.ChoiceField(
        label=_("负责人"),
        required=False,
        choices=[("", _("全部")), ("me", _("我")), ("none", _("无人"))],
    )
    overdue = forms.BooleanField(label=_("只看超时未回复"), required=False)


class RatingForm(forms.Form):
    comment = forms.CharField(
        label=_("意见（选填）"),
        max_length=COMMENT_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in ASPECTS.items():
            self.fields[name] = forms.TypedChoiceField(
                label=label, choices=SCORES, coerce=int, empty_value=None, required=False
            )
        self.order_fields([*ASPECTS, "comment"])

    def clean(self):
        data = super().clean()
        if not any(data.get(name) for name in ASPECTS):
            raise forms.ValidationError(_("请至少为一项评分。"))
        return data

    def scores(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in ASPECTS}

    def aspects(self) -> list[tuple[str, object]]:
        """Each aspect's field, for the template's radio groups."""
        return [(name, self[name]) for name in ASPECTS]


class CannedForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=tickets.TITLE_LENGTH)
    body = forms.CharField(
        label=_("内容"), max_length=tickets.BODY_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
