"""Routes of the account pages (namespace ``accounts``): ``/accounts/…`` and two-factor authentication."""

from django.contrib.auth import views as auth_views
from django.urls import path

from yanpiao.accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/confirm/email/<str:token>/", views.confirm_email, name="confirm_email"),
    path("accounts/confirm/phone/", views.confirm_phone, name="confirm_phone"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/reset/", views.password_reset, name="password_reset"),
    path("accounts/password/reset/sms/", views.password_reset_sms, name="password_reset_sms"),
    path("accounts/password/reset/<str:token>/", views.password_reset_link, name="password_reset_link"),
    path("accounts/me/", views.me, name="me"),
    path("accounts/me/delete/", views.delete_account, name="delete_account"),
    path("accounts/privacy/", views.privacy, name="privacy"),
    path("security/two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("security/two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
]
