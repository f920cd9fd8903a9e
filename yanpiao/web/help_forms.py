"""The forms of the help pages: the search box, and staff's form of a page in both languages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yanpiao.support import help
from yanpiao.support.models import HelpPage


class SearchForm(forms.Form):
    """The search box (a GET form): one query of at most :data:`help.MAX_QUERY` characters."""

    q = forms.CharField(
        label=_("搜索帮助"),
        max_length=help.MAX_QUERY,
        required=False,
        strip=True,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("例如：校验码、价税合计、查验凭证")}
        ),
    )


class HelpPageForm(forms.ModelForm):
    """A help page as staff write it: its address, section, place in the section, the Chinese and
    the English title and body, and whether it is published."""

    class Meta:
        model = HelpPage
        fields = list(help.EDITABLE)
        labels = {
            "slug": _("网址名称"),
            "section": _("栏目"),
            "position": _("顺序"),
            "title_zh": _("中文标题"),
            "title_en": _("英文标题"),
            "body_zh": _("中文正文"),
            "body_en": _("英文正文"),
            "published": _("发布"),
        }
        help_texts = {
            "slug": _("小写字母、数字和连字符，例如 check-code；页面地址为 /help/<网址名称>/。"),
            "body_zh": _(
                "空一行分段；以“- ”开头的行为列表，以“1. ”开头的行为编号列表，以“## ”开头的行为小标题。"
            ),
        }
        widgets = {
            "body_zh": forms.Textarea(attrs={"rows": 14}),
            "body_en": forms.Textarea(attrs={"rows": 14}),
        }

    def clean_slug(self):
        slug = self.cleaned_data["slug"].lower()
        if slug in help.RESERVED_SLUGS:
            raise forms.ValidationError(_("这个网址名称已被网站使用，请换一个。"))
        return slug

    def fields_given(self) -> dict:
        return {name: self.cleaned_data[name] for name in help.EDITABLE}
