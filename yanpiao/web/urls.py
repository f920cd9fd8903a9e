"""Routes of the web pages (namespace ``web``); the account pages are in :mod:`yanpiao.accounts.urls`."""

from django.urls import path

from yanpiao.web import records, tokens, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/me/data/", views.my_data, name="my_data"),
    path("security/tokens/", tokens.token_list, name="tokens"),
    path("security/tokens/<int:token_id>/revoke/", tokens.token_revoke, name="token_revoke"),
    path("security/reveal/", records.reveal, name="reveal"),
    path("verifications/<uuid:public_id>/", records.verification_detail, name="verification"),
    path("invoices/<str:code>/<str:number>/", records.invoice_detail, name="invoice"),
    path("organisations/<int:organisation_id>/", records.organisation_detail, name="organisation"),
]
