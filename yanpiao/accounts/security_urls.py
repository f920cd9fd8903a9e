"""Routes for API tokens, two-factor authentication, organisations, verifications and invoices."""

from django.urls import path

from yanpiao.accounts import security_views as views

app_name = "account_security"

urlpatterns = [
    path("security/tokens/", views.token_list, name="tokens"),
    path("security/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("security/two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("security/two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("security/reveal/", views.reveal, name="reveal"),
    path("organisations/<int:organisation_id>/", views.organisation_detail, name="organisation"),
    path("verifications/<uuid:public_id>/", views.verification_detail, name="verification"),
    path("invoices/<str:code>/<str:number>/", views.invoice_detail, name="invoice"),
]
