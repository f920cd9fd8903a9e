"""Audit entries for account events: sign-ups, log-ins, failed log-ins and changes of powers.

Connected by :meth:`yanpiao.security.apps.SecurityConfig.ready`.  A failed log-in is recorded
with a keyed blind index of the submitted login, never the e-mail address or phone number.
A change of the fields that grant powers (role, is_staff, is_superuser) is recorded however it
is saved, once, with the user who made it when the saver names them (``user.changed_by``, as
:func:`yanpiao.accounts.organisations.set_role` does).

After every ``migrate``, :func:`restore_triggers` puts back a trigger of the audit table that was
dropped, disabled or changed, and records that it did (``audit.trigger_restore``).
"""

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_save, pre_save

from yanpiao.security import audit, triggers
from yanpiao.security.fields import blind_index

logger = logging.getLogger(__name__)

LOGIN_INDEX = "audit login"
GUARDED = ("role", "is_staff", "is_superuser")  # the fields that grant powers


def login_index(credentials: dict) -> str:
    user_model = get_user_model()
    for name in ("username", user_model.USERNAME_FIELD, "email", "phone", "login"):
        value = credentials.get(name)
        if isinstance(value, str) and value.strip():
            return blind_index(value.strip().lower(), LOGIN_INDEX)
    return ""


def logged_in(sender, request, user, **kwargs):
    audit.record(audit.Action.ACCOUNT_LOGIN, actor=user, target=audit.target(user))


def login_failed(sender, credentials, request=None, **kwargs):
    index = login_index(credentials)
    audit.record(audit.Action.ACCOUNT_LOGIN_FAILED, detail={"login_index": index} if index else {})


def remember_powers(sender, instance, raw=False, update_fields=None, **kwargs):
    """Before a user is saved, load the fields that grant powers, to compare after."""
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(GUARDED):
        return
    instance._audit_powers = sender.objects.filter(pk=instance.pk).values(*GUARDED).first()


def user_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        audit.record(
            audit.Action.ACCOUNT_SIGNUP, target=audit.target(instance), detail={"role": instance.role}
        )
        return
    before = instance.__dict__.pop("_audit_powers", None)
    changed_by = instance.__dict__.pop("changed_by", None)
    if not before:
        return
    changes = {
        name: [before[name], getattr(instance, name)]
        for name in GUARDED
        if before[name] != getattr(instance, name)
    }
    if changes:
        audit.record(
            audit.Action.ACCOUNT_POWERS_CHANGE,
            actor=changed_by,
            target=audit.target(instance),
            detail=changes,
        )


def connect() -> None:
    user_model = get_user_model()
    user_logged_in.connect(logged_in, dispatch_uid="yanpiao.audit.login")
    user_login_failed.connect(login_failed, dispatch_uid="yanpiao.audit.login_failed")
    pre_save.connect(remember_powers, sender=user_model, dispatch_uid="yanpiao.audit.user_pre_save")
    post_save.connect(user_saved, sender=user_model, dispatch_uid="yanpiao.audit.user_post_save")


def restore_triggers(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """``post_migrate`` of the security app: the audit table's triggers, as migrations made them."""
    for problem in triggers.restore(connections[using]):
        logger.warning("%s; restored", problem)
        if using == DEFAULT_DB_ALIAS:
            audit.record(
                audit.Action.AUDIT_TRIGGER_RESTORE,
                detail={"trigger": problem.name, "table": problem.table, "was": problem.what},
            )
