"""Routes of the web pages (namespace ``web``); the account pages are in :mod:`yanpiao.accounts.urls`.

Each area of the site keeps its routes beside its views (``urlpatterns`` of its module), included
here under its prefix: the names stay in the ``web`` namespace (``web:history``, ``web:upload``).
"""

from django.urls import include, path

from yanpiao.web import alerts, batches, feedback, help, history, intake, issuing, pwa, records, tokens, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("verify", views.verify_link, name="verify"),
    path("", include(intake.urlpatterns)),
    path("", include(pwa.urlpatterns)),
    path("history/", include(history.urlpatterns)),
    path("batches/", include(batches.urlpatterns)),
    path("issuer/", include(issuing.urlpatterns)),
    path("alerts/", include(alerts.urlpatterns)),
    path("tickets/", include("yanpiao.web.tickets")),
    path("surveys/", include("yanpiao.web.surveys")),
    path("ratings/", include("yanpiao.web.ratings")),
    path("suggestions/", include("yanpiao.web.suggestions")),
    path("help/", include(help.urlpatterns)),
    path("verifications/<uuid:public_id>/", records.verification_detail, name="verification"),
    path("verifications/<uuid:public_id>/", include(feedback.urlpatterns)),
    path("accounts/me/data/", views.my_data, name="my_data"),
    path("security/tokens/", tokens.token_list, name="tokens"),
    path("security/tokens/<int:token_id>/revoke/", tokens.token_revoke, name="token_revoke"),
    path("security/reveal/", records.reveal, name="reveal"),
    path("invoices/<str:code>/<str:number>/", records.invoice_detail, name="invoice"),
    path("organisations/<int:organisation_id>/", records.organisation_detail, name="organisation"),
]
