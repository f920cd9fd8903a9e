"""Routes of the account pages, under ``/accounts/``."""

from django.contrib.auth import views as auth_views
from django.urls import path

from yanpiao.accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("confirm/email/<str:token>/", views.confirm_email, name="confirm_email"),
    path("confirm/phone/", views.confirm_phone, name="confirm_phone"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/sms/", views.password_reset_sms, name="password_reset_sms"),
    path("password/reset/<str:token>/", views.password_reset_link, name="password_reset_link"),
    path("me/", views.me, name="me"),
    path("me/data/", views.my_data, name="my_data"),
    path("me/delete/", views.delete_account, name="delete_account"),
    path("privacy/", views.privacy, name="privacy"),
]
