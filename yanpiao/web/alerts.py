"""The auditor's alert pages: the queue, one alert and its workflow, the dashboard's charts, and
the settings (an e-mail subscription; the webhooks and their delivery log).

Thin adapters: alerts come through :mod:`yanpiao.access.visibility` (auditors and admins only;
404 to anyone else, as for a page that does not exist), every step is a call of
:mod:`yanpiao.alerts.services` (which audits it), the charts' numbers come from
:mod:`yanpiao.history.statistics` and :mod:`yanpiao.alerts.statistics`.  The charts are drawn
by ``web/alerts.js`` from a JSON script tag (the content security policy refuses inline
scripts); each chart has a table of the same numbers beside it, with the same drill-down links.
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
from yanpiao.access.masking import mask
from yanpiao.accounts.models import User
from yanpiao.alerts import services, webhooks
from yanpiao.alerts import statistics as alert_statistics
from yanpiao.alerts.models import Alert, Delivery, Webhook
from yanpiao.history import statistics as history_statistics
from yanpiao.registry.convert import party_from_row
from yanpiao.registry.models import Invoice, Party
from yanpiao.web import labels
from yanpiao.web.alert_forms import (
    BULK_ACTIONS,
    AssignForm,
    BulkForm,
    CloseForm,
    FilterForm,
    NoteForm,
    SubscriptionForm,
    WebhookForm,
    staff_name,
)
from yanpiao.web.errors import error_page

PAGE_SIZE = 25
DELIVERY_LOG = 50  # the newest deliveries shown to an admin
# The steps of an alert's workflow, posted from its page: what each does, given the step's form.
STEPS = ("acknowledge", "assign", "assign_me", "resolve", "false_positive", "reopen", "note")
# A step the service refuses (``InvalidTransition.code``), in the site's words.
REFUSALS = {
    "not_open": _("只有待处理的预警可以确认。"),
    "closed": _("这条预警已关闭，请先重新打开。"),
    "not_closed": _("只有已解决或误报的预警可以重新打开。"),
    "not_staff": _("预警只能指派给审计员或管理员。"),
    "note_empty": _("请填写备注。"),
    "note_too_long": _("备注过长。"),
}


def _refused(request, error: services.InvalidTransition):
    detail = REFUSALS.get(error.code, _("这一步不适用于这条预警的当前状态。"))
    return error_page(request, 400, str(detail))


def _staff(request) -> None:
    """Auditors and admins only: anyone else is told the page does not exist."""
    if not visibility.is_staff(request.user):
        raise visibility.NotVisible("no such page")


def _admin(request) -> None:
    _staff(request)
    if not request.user.is_admin:
        raise visibility.NotVisible("no such page")


# --- the queue --------------------------------------------------------------------------------


@never_cache
@login_required
@require_safe
def alert_list(request):
    """The alerts, newest first, filtered and paged, with check boxes for a bulk action."""
    _staff(request)
    form = FilterForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "filtered": True, "page": None, "query": ""}
        return render(request, "web/alerts/list.html", context, status=400)
    chosen = form.chosen()
    alerts = visibility.alerts_visible_to(request.user).filter(**chosen).select_related("assignee")
    page = Paginator(alerts.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "filtered": bool(chosen),
        "page": page,
        "query": urlencode(chosen),
        "here": request.get_full_path(),
        "bulk_actions": BULK_ACTIONS.items(),
    }
    return render(request, "web/alerts/list.html", context)


def _back(request, default: str) -> str:
    """Where to go after a step: the page it was posted from, when it is one of this site's."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    return target if safe and target.startswith("/") else default


@login_required
@require_POST
def alert_bulk(request):
    """One action on the alerts ticked in the queue; back to the queue as it was."""
    _staff(request)
    form = BulkForm(request.POST)
    if not form.is_valid():
        detail = " ".join(str(error) for errors in form.errors.values() for error in errors)
        return error_page(request, 400, detail)
    ids = form.cleaned_data["alerts"]
    chosen = list(visibility.alerts_visible_to(request.user).filter(public_id__in=ids))
    done = services.bulk(form.cleaned_data["action"], chosen, request.user)
    messages.success(request, gettext("已处理 %(count)d 条预警。") % {"count": done})
    return redirect(_back(request, reverse("web:alerts")))


# --- one alert --------------------------------------------------------------------------------


def _subject(alert: Alert) -> dict:
    """What the alert is about, masked: ``{"label", "text", "url"}``."""
    key, text, url = alert.subject_key, "", None
    if alert.subject == Alert.Subject.INVOICE and key.isdigit():
        invoice = Invoice.objects.filter(pk=int(key)).only("code", "number").first()
        if invoice:
            text = f"{invoice.code} / {invoice.number}" if invoice.code else invoice.number
            url = reverse("web:invoice", args=[invoice.code or "-", invoice.number])
    elif alert.subject == Alert.Subject.SELLER and key.isdigit():
        row = Party.objects.filter(pk=int(key)).first()
        if row:
            party = party_from_row(row)
            text = f"{mask(party.name, 'name')} · {mask(party.tax_id, 'tax_id')}"
    elif alert.subject == Alert.Subject.ACCOUNT and key.isdigit():
        user = User.objects.filter(pk=int(key)).first()
        if user:
            text = mask(user.email, "email") if user.email else mask(user.phone, "phone")
    return {"label": alert.get_subject_display(), "text": text or mask(key, "secret"), "url": url}


@never_cache
@login_required
@require_safe
def alert_detail(request, public_id):
    """One alert: what was seen, its evidence (links to the verifications), notes, workflow
    buttons and its webhook deliveries.  Opening it is audited."""
    _staff(request)
    alert = visibility.alert_visible_to(request.user, public_id)
    services.view(alert, request.user)
    return _render_detail(request, alert)


def _render_detail(request, alert: Alert, status: int = 200, **forms):
    context = {
        "alert": alert,
        "subject": _subject(alert),
        "closed": alert.status in (Alert.Status.RESOLVED, Alert.Status.FALSE_POSITIVE),
        "assignee": staff_name(alert.assignee) if alert.assignee else "",
        "notes": [
            (note, staff_name(note.author) if note.author else "") for note in services.notes_of(alert)
        ],
        "deliveries": services.deliveries_of(alert),
        "note_form": forms.get("note_form") or NoteForm(),
        "assign_form": forms.get("assign_form") or AssignForm(initial={"assignee": alert.assignee_id}),
        "close_form": forms.get("close_form") or CloseForm(),
    }
    return render(request, "web/alerts/detail.html", context, status=status)


@login_required
@require_POST
def alert_step(request, public_id, step: str):
    """One step of the alert's workflow (acknowledge, assign, resolve, call it a false positive,
    reopen, add a note); back to the alert's page with a message."""
    _staff(request)
    if step not in STEPS:
        raise visibility.NotVisible("no such step")
    alert = visibility.alert_visible_to(request.user, public_id)
    user = request.user
    try:
        if step == "acknowledge":
            services.acknowledge(alert, user)
        elif step == "reopen":
            services.reopen(alert, user)
        elif step == "assign_me":
            services.assign(alert, user, user)
        elif step == "assign":
            form = AssignForm(request.POST)
            if not form.is_valid():
                return _render_detail(request, alert, 400, assign_form=form)
            services.assign(alert, user, form.cleaned_data["assignee"])
        elif step == "note":
            form = NoteForm(request.POST)
            if not form.is_valid():
                return _render_detail(request, alert, 400, note_form=form)
            services.add_note(alert, user, form.cleaned_data["text"])
        else:  # resolve, false_positive
            form = CloseForm(request.POST)
            if not form.is_valid():
                return _render_detail(request, alert, 400, close_form=form)
            close = services.resolve if step == "resolve" else services.false_positive
            close(alert, user, note=form.cleaned_data["note"])
    except services.InvalidTransition as error:
        return _refused(request, error)
    messages.success(request, DONE[step])
    return redirect("web:alert", public_id=alert.public_id)


DONE = {
    "acknowledge": _("已确认这条预警。"),
    "assign": _("已指派。"),
    "assign_me": _("已指派给您。"),
    "resolve": _("已标记为已解决。"),
    "false_positive": _("已标记为误报。"),
    "reopen": _("已重新打开。"),
    "note": _("备注已添加。"),
}


@login_required
@require_POST
def delivery_redeliver(request, delivery_id: int):
    """Send an alert to a webhook again (the delivery log shows the new attempt)."""
    _staff(request)
    delivery = Delivery.objects.select_related("alert", "webhook").filter(pk=delivery_id).first()
    if delivery is None:
        raise visibility.NotVisible("no such delivery")
    visibility.alert_visible_to(request.user, delivery.alert.public_id)
    services.redeliver(delivery, request.user)
    messages.success(request, gettext("已重新发送。"))
    return redirect(_back(request, reverse("web:alert", args=[delivery.alert.public_id])))


# --- the dashboard ----------------------------------------------------------------------------


def _url(name: str, params: dict) -> str:
    return reverse(name) + "?" + urlencode(params)


def _charts(user) -> tuple[dict, list[dict]]:
    """The charts' numbers in the reader's words, each bar with the page it drills down to; and
    the riskiest sellers, for the table beside their chart."""
    per_day = history_statistics.per_day(user)
    days = per_day["days"]
    by_kind = alert_statistics.by_kind()
    sellers = alert_statistics.riskiest_sellers(user)
    return {
        "perDay": {
            "labels": [day[5:] for day in days],
            "datasets": [
                {
                    "key": outcome,
                    "label": labels.outcome(outcome),
                    "data": counts,
                    "urls": [
                        _url("web:history", {"outcome": outcome, "from": day, "to": day}) for day in days
                    ],
                }
                for outcome, counts in per_day["outcomes"].items()
            ],
        },
        "byKind": {
            "labels": [labels.alert_kind(kind) for kind in by_kind],
            "data": list(by_kind.values()),
            "urls": [_url("web:alerts", {"kind": kind}) for kind in by_kind],
        },
        "sellers": {
            "labels": [seller["name"] for seller in sellers],
            "data": [seller["score"] for seller in sellers],
            "urls": [_url("web:history", {"seller_tax_id": seller["tax_id"]}) for seller in sellers],
        },
    }, sellers


@never_cache
@login_required
@require_safe
def dashboard(request):
    """Verifications per day by outcome, alerts by kind, the riskiest sellers: each bar a link."""
    _staff(request)
    charts, sellers = _charts(request.user)
    per_day = charts["perDay"]
    # The same numbers as tables (for screen readers, and without JavaScript), with the same links.
    day_rows = [
        (day, [(d["data"][i], d["urls"][i]) for d in per_day["datasets"]])
        for i, day in enumerate(per_day["labels"])
    ]
    context = {
        "charts": charts,
        "outcomes": [d["label"] for d in per_day["datasets"]],
        "day_rows": day_rows,
        "kinds": list(
            zip(charts["byKind"]["labels"], charts["byKind"]["data"], charts["byKind"]["urls"], strict=True)
        ),
        "sellers": list(zip(sellers, charts["sellers"]["urls"], strict=True)),
    }
    return render(request, "web/alerts/dashboard.html", context)


# --- settings ---------------------------------------------------------------------------------


def _render_settings(request, subscription_form=None, webhook_form=None, created=None, status=200):
    user = request.user
    subscription = services.subscription_of(user)
    if subscription_form is None:
        initial = (
            {"kinds": subscription.kinds, "min_severity": subscription.min_severity} if subscription else {}
        )
        subscription_form = SubscriptionForm(initial=initial, prefix="subscription")
    context = {
        "subscription": subscription,
        "subscription_form": subscription_form,
        "webhooks": [
            (hook, [labels.alert_kind(kind) for kind in hook.kinds])
            for hook in Webhook.objects.order_by("name", "pk")
        ],
        "admin": user.is_admin,
        "created": created,
    }
    if user.is_admin:
        context["webhook_form"] = webhook_form or WebhookForm(prefix="webhook")
        context["deliveries"] = Delivery.objects.select_related("webhook", "alert").order_by("-created_at")[
            :DELIVERY_LOG
        ]
    return render(request, "web/alerts/settings.html", context, status=status)


@never_cache
@login_required
def alert_settings(request):
    """An auditor's e-mail of alerts (kinds, minimum severity); the webhooks, and to an admin
    the form for a new one and the delivery log."""
    _staff(request)
    if request.method == "POST":
        form = SubscriptionForm(request.POST, prefix="subscription")
        if not form.is_valid():
            return _render_settings(request, subscription_form=form, status=400)
        services.subscribe(request.user, form.cleaned_data["kinds"], form.cleaned_data["min_severity"])
        messages.success(request, gettext("订阅已保存。"))
        return redirect("web:alert_settings")
    if request.method not in ("GET", "HEAD"):
        return error_page(request, 400)
    return _render_settings(request)


@never_cache
@login_required
@require_POST
def webhook_create(request):
    """An admin adds a webhook: its secret is shown on this answer only, never again."""
    _admin(request)
    form = WebhookForm(request.POST, prefix="webhook")
    if not form.is_valid():
        return _render_settings(request, webhook_form=form, status=400)
    data = form.cleaned_data
    try:
        webhook, secret = services.create_webhook(
            request.user, data["name"], data["url"], data["kinds"], data["min_severity"]
        )
    except webhooks.InvalidUrl:
        form.add_error("url", _("请填写 http 或 https 地址，地址中不要带用户名和密码。"))
        return _render_settings(request, webhook_form=form, status=400)
    return _render_settings(request, created={"webhook": webhook, "secret": secret})


urlpatterns = [
    path("", alert_list, name="alerts"),
    path("bulk/", alert_bulk, name="alert_bulk"),
    path("dashboard/", dashboard, name="alert_dashboard"),
    path("settings/", alert_settings, name="alert_settings"),
    path("settings/webhooks/", webhook_create, name="webhook_create"),
    path("deliveries/<int:delivery_id>/redeliver/", delivery_redeliver, name="delivery_redeliver"),
    path("<uuid:public_id>/", alert_detail, name="alert"),
    path("<uuid:public_id>/<str:step>/", alert_step, name="alert_step"),
]
