"""The operator's commands for provisioning integrations: ``yanpiao users create`` and
``yanpiao tokens create|list|revoke``; exit status 2 and one message for every refusal."""

import pytest

from tests.factories import PASSWORD, confirmed_user, tax_id
from yanpiao import cli
from yanpiao.accounts import tokens
from yanpiao.accounts.models import ApiToken, Organisation, Role, User
from yanpiao.security.models import AuditEntry

# Django closes the database connection when a command ends, which a test transaction cannot survive.
pytestmark = pytest.mark.django_db(transaction=True)

TAX_ID = tax_id(7)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("YANPIAO_PASSWORD", PASSWORD)
    return PASSWORD


# --- users create ------------------------------------------------------------------------------


def test_create_a_confirmed_account(capsys, password):
    code, out, err = run(capsys, "users", "create", "--email", "ERP@Example.com", "--role", "taxpayer")
    assert code == 0, err
    user = User.objects.get()
    assert user.email == "erp@example.com" and user.role == Role.TAXPAYER and user.organisation is None
    assert user.email_confirmed_at is not None and user.check_password(PASSWORD)
    assert f"Account {user.pk} created" in out and PASSWORD not in out + err
    provision = AuditEntry.objects.get(action="account.provision", target=f"accounts.user:{user.pk}")
    assert provision.detail == {"role": "taxpayer", "organisation": "", "organisation_created": False}


def test_the_organisation_is_created_once_and_reused(capsys, password):
    code, out, err = run(
        capsys,
        *("users", "create", "--email", "issuer@example.com", "--role", "issuer"),
        *("--organisation", TAX_ID, "--organisation-name", "示例科技有限公司"),
    )
    assert code == 0 and ", created)" in out, err
    spaced = f"{TAX_ID[:6]} {TAX_ID[6:].lower()}"
    code, out, err = run(
        capsys, "users", "create", "--phone", "13800138000", "--role", "taxpayer", "--organisation", spaced
    )
    assert code == 0, err
    organisation = Organisation.objects.get()
    assert organisation.name == "示例科技有限公司" and organisation.tax_id == TAX_ID
    assert {user.organisation_id for user in User.objects.all()} == {organisation.pk}
    phone_user = User.objects.find_by_login("13800138000")
    assert phone_user.phone_confirmed_at is not None and not phone_user.email
    issuer = User.objects.find_by_login("issuer@example.com")
    created = {
        entry.target: entry.detail["organisation_created"]
        for entry in AuditEntry.objects.filter(action="account.provision")
    }
    assert (
        created[f"accounts.user:{issuer.pk}"] is True and created[f"accounts.user:{phone_user.pk}"] is False
    )


def test_an_admin_is_staff_and_told_about_two_factor(capsys, password):
    code, _, err = run(capsys, "users", "create", "--email", "ops@example.com", "--role", "admin")
    assert code == 0 and "two-factor" in err
    user = User.objects.get()
    assert user.is_staff and user.is_superuser and user.needs_two_factor


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--email", "a@example.com", "--role", "boss"], "unknown role 'boss'"),
        (["--role", "taxpayer"], "give --email, --phone or both"),
        (["--email", "13800138000", "--role", "taxpayer"], "not an e-mail address"),
        (["--phone", "12345", "--role", "taxpayer"], "--phone 12345"),
        (["--email", "a@example.com", "--role", "issuer"], "an issuer needs --organisation"),
        (
            ["--email", "a@example.com", "--role", "taxpayer", "--organisation", "91110108MA01ABCD2Y"],
            "not a valid",
        ),
        (["--email", "a@example.com", "--role", "taxpayer", "--organisation", TAX_ID], "--organisation-name"),
        (["--email", "taken@example.com", "--role", "taxpayer"], "already registered"),
    ],
)
def test_refusals_exit_2_with_one_message(capsys, password, argv, message):
    confirmed_user(email="taken@example.com")
    code, out, err = run(capsys, "users", "create", *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert User.objects.count() == 1 and not Organisation.objects.exists()


def test_a_missing_role_is_a_usage_error(capsys, password):
    code, _, err = run(capsys, "users", "create", "--email", "a@example.com")
    assert code == 2 and "--role" in err


def test_the_password_must_pass_the_validators(capsys, monkeypatch):
    monkeypatch.setenv("YANPIAO_PASSWORD", "password123")
    code, _, err = run(capsys, "users", "create", "--email", "a@example.com", "--role", "taxpayer")
    assert code == 2 and "YANPIAO_PASSWORD" in err and not User.objects.exists()
    monkeypatch.setenv("YANPIAO_PASSWORD", "")
    code, _, err = run(capsys, "users", "create", "--email", "a@example.com", "--role", "taxpayer")
    assert code == 2 and "empty" in err


class Terminal:
    def isatty(self):
        return True


def test_the_password_is_asked_twice_on_a_terminal(capsys, monkeypatch):
    monkeypatch.delenv("YANPIAO_PASSWORD", raising=False)
    answers = iter(["first try 2026", "a typo", PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    monkeypatch.setattr("sys.stdin", Terminal())
    code, _, err = run(capsys, "users", "create", "--email", "a@example.com", "--role", "taxpayer")
    assert code == 0 and "do not match" in err
    assert User.objects.get().check_password(PASSWORD)


def test_without_a_terminal_the_password_comes_from_the_environment(capsys, monkeypatch):
    monkeypatch.delenv("YANPIAO_PASSWORD", raising=False)
    code, _, err = run(capsys, "users", "create", "--email", "a@example.com", "--role", "taxpayer")
    assert code == 2 and "YANPIAO_PASSWORD" in err and not User.objects.exists()


# --- tokens ------------------------------------------------------------------------------------


def test_create_a_token_prints_the_secret_once(capsys, client, register):
    user = confirmed_user(email="erp@example.com")
    code, out, err = run(
        capsys,
        "tokens",
        "create",
        "--email",
        "erp@example.com",
        "--scope",
        "verify",
        "--scope",
        "history:read",
    )
    assert code == 0, err
    secret = out.strip()
    assert out == secret + "\n" and secret.startswith("yp_") and secret not in err
    assert "shown only once" in err
    found_user, token = tokens.authenticate(f"Bearer {secret}")
    assert found_user == user and token.scopes == ["history:read", "verify"]
    assert token.name.startswith("integration ") and 89 <= (token.expires_at - token.created_at).days <= 90
    assert AuditEntry.objects.filter(
        action="api_token.create", target=f"accounts.apitoken:{token.pk}"
    ).exists()

    from tests.factories import key_query

    answer = client.post(
        "/api/v1/verifications",
        key_query(register()).to_json(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.status_code == 200 and answer.json()["outcome"] == "authentic"


def test_a_token_by_phone_with_a_name_and_days(capsys):
    confirmed_user(phone="13800138000")
    code, out, err = run(
        capsys,
        "tokens",
        "create",
        "--phone",
        "+86 138 0013 8000",
        "--scope",
        "batch",
        "--days",
        "7",
        "--name",
        "金蝶",
    )
    assert code == 0, err
    token = ApiToken.objects.get()
    assert (
        token.name == "金蝶" and token.scopes == ["batch"] and (token.expires_at - token.created_at).days == 7
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--email", "nobody@example.com", "--scope", "verify"], "no account has nobody@example.com"),
        (["--email", "erp@example.com", "--scope", "admin"], "unknown"),
        (["--email", "erp@example.com", "--scope", "verify", "--days", "0"], "days"),
        (["--email", "erp@example.com", "--scope", "verify", "--name", ""], "name"),
        (["--email", "erp@example.com"], "--scope"),
        (["--scope", "verify"], "--email"),
        (["--email", "erp@example.com", "--phone", "13800138000", "--scope", "verify"], "not allowed"),
    ],
)
def test_token_refusals_exit_2(capsys, argv, message):
    confirmed_user(email="erp@example.com")
    code, out, err = run(capsys, "tokens", "create", *argv)
    assert code == 2 and message in err and not out, err
    assert not ApiToken.objects.exists()


def test_a_deactivated_account_gets_no_token(capsys):
    confirmed_user(email="erp@example.com", is_active=False)
    code, _, err = run(capsys, "tokens", "create", "--email", "erp@example.com", "--scope", "verify")
    assert code == 2 and "deactivated" in err


def test_list_and_revoke_tokens(capsys):
    user = confirmed_user(email="erp@example.com")
    token, secret = tokens.create_token(user, "ERP", ["verify"])
    code, out, _ = run(capsys, "tokens", "list", "--email", "erp@example.com")
    assert code == 0 and f"{token.pk}\tactive\t{token.prefix}…\tverify" in out and secret not in out
    code, out, _ = run(capsys, "tokens", "revoke", str(token.pk))
    assert code == 0 and "revoked" in out
    assert tokens.authenticate(f"Bearer {secret}") is None
    for missing in ("999999", "0", str(2**70)):
        code, _, err = run(capsys, "tokens", "revoke", missing)
        assert code == 2 and f"no token {missing}" in err
