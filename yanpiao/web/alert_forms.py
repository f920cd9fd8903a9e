"""The forms of the alert pages: the queue's filters and bulk actions, an alert's workflow steps,
an auditor's e-mail subscription and an admin's new webhook.

The choices are the alert model's own (``Alert.Kind``, ``Alert.Status``, ``Severity``,
``Alert.Subject``), with the words they are declared with.
"""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from yanpiao.access.masking import mask
from yanpiao.accounts.models import STAFF_ROLES, User
from yanpiao.alerts.models import Alert, Severity

BULK_ACTIONS = {
    "acknowledge": _("确认"),
    "resolve": _("标记为已解决"),
    "false_positive": _("标记为误报"),
}
MAX_BULK = 100  # alerts in one bulk action: a page's worth and some
MAX_NOTE = 2000


def _any(choices) -> list:
    return [("", _("全部")), *choices]


class FilterForm(forms.Form):
    """The queue's filters, as a GET form; every one optional."""

    kind = forms.ChoiceField(label=_("预警类型"), required=False, choices=_any(Alert.Kind.choices))
    status = forms.ChoiceField(label=_("处理状态"), required=False, choices=_any(Alert.Status.choices))
    severity = forms.ChoiceField(label=_("严重程度"), required=False, choices=_any(Severity.choices))
    subject = forms.ChoiceField(label=_("对象"), required=False, choices=_any(Alert.Subject.choices))

    def chosen(self) -> dict[str, str]:
        """The filters given (valid, not empty), as field lookups and query parameters alike."""
        return {name: value for name, value in self.cleaned_data.items() if value}


class PublicIdsField(forms.Field):
    """The public ids of the ticked alerts (``alerts=…`` repeated): all valid UUIDs, at most :data:`MAX_BULK`."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("请至少选择一条预警。"),
        "invalid": _("选择的预警有误，请刷新页面后再试。"),
    }

    def to_python(self, value) -> list[uuid.UUID]:
        values = value or []
        if len(values) > MAX_BULK:
            raise forms.ValidationError(_("一次最多处理 %(count)d 条预警。") % {"count": MAX_BULK})
        try:
            return list(dict.fromkeys(uuid.UUID(str(v)) for v in values))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class BulkForm(forms.Form):
    """One action on the alerts ticked in the queue."""

    action = forms.ChoiceField(choices=list(BULK_ACTIONS.items()))
    alerts = PublicIdsField()


class NoteForm(forms.Form):
    text = forms.CharField(label=_("备注"), max_length=MAX_NOTE, widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(forms.Form):
    """Resolving an alert or calling it a false positive, with an optional note."""

    note = forms.CharField(
        label=_("说明（可不填）"),
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def staff_members():
    """Who an alert may be assigned to: active auditors and admins."""
    return User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("pk")


def staff_name(user) -> str:
    """An auditor or admin as colleagues see them: their display name, else their address masked."""
    return user.display_name or mask(user.email, "email") or mask(user.phone, "phone")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return staff_name(obj)


class AssignForm(forms.Form):
    assignee = StaffChoiceField(label=_("指派给"), queryset=User.objects.none(), empty_label=None)

    def __init__(self, data=None, **options):
        super().__init__(data, **options)
        self.fields["assignee"].queryset = staff_members()


class SubscriptionForm(forms.Form):
    """An auditor's e-mail of alerts: of these kinds (none ticked: every kind), from this severity up."""

    kinds = forms.MultipleChoiceField(
        label=_("预警类型（不选则全部）"),
        required=False,
        choices=Alert.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    min_severity = forms.ChoiceField(
        label=_("最低严重程度"), choices=Severity.choices, initial=Severity.MEDIUM
    )


class WebhookForm(SubscriptionForm):
    """A new webhook: another department's system told of alerts, signed with a secret shown once."""

    name = forms.CharField(label=_("名称"), max_length=100)
    url = forms.URLField(label=_("接收地址"), max_length=500, assume_scheme="https")

    field_order = ("name", "url", "kinds", "min_severity")
