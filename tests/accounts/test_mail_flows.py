"""Verification, password reset and email change, followed through the mails a real SMTP server received.

A real Celery worker sends the mails (the request only queues them); tests read each
mail's code or link and take it back to the API as the app would.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AccountToken, User
from audit.models import AuditLog
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.helpers import LOGIN, ME, PASSWORD, REFRESH, REGISTER, client_for, login

VERIFY = "/api/v1/auth/email/verify"
RESEND = "/api/v1/auth/email/verify/resend"
RESET = "/api/v1/auth/password/reset"
RESET_CONFIRM = "/api/v1/auth/password/reset/confirm"
CHANGE = "/api/v1/users/me/email"
CHANGE_CONFIRM = "/api/v1/users/me/email/confirm"
NEW_PASSWORD = "a-brand-new-passphrase-7"

pytestmark = pytest.mark.usefixtures("celery_worker")


def register(email="lan@example.com", **headers) -> dict:
    response = APIClient().post(REGISTER, {"email": email, "password": DEFAULT_PASSWORD, "name": "Trần Thị Lan"},
                                **headers)
    assert response.status_code == 201, response.content
    return response.json()


def ask_for_reset(email: str):
    return APIClient().post(RESET, {"email": email})


# --- verification -------------------------------------------------------------------------------------


def test_registering_mails_a_code_that_verifies_the_address(mail_server):
    body = register()
    assert body["user"]["email_verified"] is False
    mail = mail_server.wait_for("lan@example.com")
    assert mail.code in mail.subject
    assert mail.code in mail.html and "englishapp://app/verify-email?token=" in mail.html
    me = client_for(body["access_token"])
    assert me.get(ME).json()["email_verified"] is False

    response = me.post(VERIFY, {"code": mail.code})

    assert response.status_code == 200, response.content
    assert response.json()["email_verified"] is True
    assert me.get(ME).json()["email_verified"] is True
    assert AuditLog.objects.filter(action="user.email_verified", object_id=body["user"]["id"]).exists()


def test_the_link_verifies_without_signing_in(mail_server):
    register()
    token = mail_server.wait_for("lan@example.com").link_token

    response = APIClient().post(VERIFY, {"token": token})

    assert response.status_code == 200
    assert User.objects.get(email="lan@example.com").email_verified
    # A link works once.
    assert APIClient().post(VERIFY, {"token": token}).json()["code"] == "token_invalid"


def test_a_code_needs_the_account_it_was_sent_to(mail_server):
    register()
    code = mail_server.wait_for("lan@example.com").code
    stranger = UserFactory()

    assert APIClient().post(VERIFY, {"code": code}).status_code == 401
    response = client_for(login(stranger.email)["access_token"]).post(VERIFY, {"code": code})

    assert response.status_code == 400
    assert response.json()["code"] == "token_invalid"
    assert not User.objects.get(email="lan@example.com").email_verified


def test_resending_replaces_the_code_and_an_address_verifies_once(mail_server):
    me = client_for(register()["access_token"])
    first = mail_server.wait_for("lan@example.com").code

    assert me.post(RESEND).status_code == 202
    second = mail_server.wait_for("lan@example.com", count=2).code

    assert me.post(VERIFY, {"code": first}).status_code == 400 or first == second
    assert me.post(VERIFY, {"code": second}).status_code == 200
    response = me.post(RESEND)
    assert response.status_code == 409
    assert response.json()["code"] == "email_already_verified"


def test_five_wrong_codes_end_the_code(mail_server, settings):
    me = client_for(register()["access_token"])
    code = mail_server.wait_for("lan@example.com").code
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    for _ in range(settings.ACCOUNT_CODE_MAX_ATTEMPTS):
        assert me.post(VERIFY, {"code": wrong}).json()["code"] == "token_invalid"

    assert me.post(VERIFY, {"code": code}).json()["code"] == "token_invalid"
    assert not User.objects.get(email="lan@example.com").email_verified


# --- password reset -------------------------------------------------------------------------------------


def test_forgot_password_resets_it_and_signs_every_device_out(mail_server):
    user = UserFactory(email="minh@example.com")
    phone, tablet = login(user.email, user_agent="phone"), login(user.email, user_agent="tablet")

    response = ask_for_reset("Minh@Example.com")
    assert response.status_code == 202
    mail = mail_server.wait_for("minh@example.com")
    assert "englishapp://app/reset-password?token=" in mail.text

    confirmed = APIClient().post(RESET_CONFIRM, {"email": "minh@example.com", "code": mail.code,
                                                 "new_password": NEW_PASSWORD})

    assert confirmed.status_code == 204, confirmed.content
    for device in (phone, tablet):
        assert client_for(device["access_token"]).get(ME).status_code == 401
        assert APIClient().post(REFRESH, {"refresh_token": device["refresh_token"]}).status_code == 401
    assert APIClient().post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).status_code == 401
    assert login(user.email, NEW_PASSWORD)["user"]["email_verified"] is True
    assert AuditLog.objects.filter(action="user.password_reset", object_id=str(user.pk)).exists()


def test_the_reset_link_works_once(mail_server):
    user = UserFactory(email="minh@example.com")
    ask_for_reset(user.email)
    token = mail_server.wait_for(user.email).link_token

    assert APIClient().post(RESET_CONFIRM, {"token": token, "new_password": NEW_PASSWORD}).status_code == 204
    again = APIClient().post(RESET_CONFIRM, {"token": token, "new_password": "yet-another-passphrase-8"})

    assert again.status_code == 400
    assert again.json()["code"] == "token_invalid"
    assert login(user.email, NEW_PASSWORD)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(mail_server):
    UserFactory(email="minh@example.com")

    unknown = ask_for_reset("nobody@example.com")
    known = ask_for_reset("minh@example.com")

    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
    mail_server.wait_for("minh@example.com")  # one worker, in order: the unknown address was handled first
    assert mail_server.to("nobody@example.com") == []
    assert not AccountToken.objects.filter(email="nobody@example.com").exists()


def test_expired_reused_and_foreign_codes_are_refused(mail_server):
    minh, hoa = UserFactory(email="minh@example.com"), UserFactory(email="hoa@example.com")
    ask_for_reset(minh.email)
    code = mail_server.wait_for(minh.email).code

    def confirm(email, code_):
        return APIClient().post(RESET_CONFIRM, {"email": email, "code": code_, "new_password": NEW_PASSWORD})

    assert confirm(hoa.email, code).json()["code"] == "token_invalid"  # Minh's code, Hoa's account
    AccountToken.objects.filter(user=minh).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert confirm(minh.email, code).json()["code"] == "token_invalid"  # expired

    ask_for_reset(minh.email)
    fresh = mail_server.wait_for(minh.email, count=2).code
    assert confirm(minh.email, fresh).status_code == 204
    assert confirm(minh.email, fresh).json()["code"] == "token_invalid"  # used
    hoa.refresh_from_db()
    assert hoa.check_password(DEFAULT_PASSWORD)


def test_a_later_reset_or_a_password_change_ends_the_code(mail_server):
    user = UserFactory(email="minh@example.com")
    ask_for_reset(user.email)
    first = mail_server.wait_for(user.email).code
    ask_for_reset(user.email)
    second = mail_server.wait_for(user.email, count=2).code

    body = {"email": user.email, "new_password": NEW_PASSWORD}
    assert first == second or APIClient().post(RESET_CONFIRM, {**body, "code": first}).status_code == 400
    me = client_for(login(user.email)["access_token"])
    assert me.post(PASSWORD, {"current_password": DEFAULT_PASSWORD,
                              "new_password": "changed-the-usual-way-5"}).status_code == 204

    assert APIClient().post(RESET_CONFIRM, {**body, "code": second}).json()["code"] == "token_invalid"


def test_a_weak_new_password_leaves_the_code_usable(mail_server):
    user = UserFactory(email="minh@example.com")
    ask_for_reset(user.email)
    code = mail_server.wait_for(user.email).code

    weak = APIClient().post(RESET_CONFIRM, {"email": user.email, "code": code, "new_password": "12345678"})

    assert weak.status_code == 400
    assert weak.json()["code"] == "weak_password"
    assert APIClient().post(RESET_CONFIRM, {"email": user.email, "code": code,
                                            "new_password": NEW_PASSWORD}).status_code == 204


def test_a_social_only_learner_gets_a_password_by_reset(mail_server):
    user = User.objects.create_user(email="social@example.com", name="S", auth_provider="google",
                                    auth_provider_id="g-1", email_verified_at=timezone.now())
    ask_for_reset(user.email)
    code = mail_server.wait_for(user.email).code

    assert APIClient().post(RESET_CONFIRM, {"email": user.email, "code": code,
                                            "new_password": NEW_PASSWORD}).status_code == 204
    assert login(user.email, NEW_PASSWORD)


# --- email change ---------------------------------------------------------------------------------------


def test_an_email_change_is_confirmed_from_the_new_address_and_told_to_the_old(mail_server):
    user = UserFactory(email="old@example.com", email_verified=True)
    me = client_for(login(user.email)["access_token"])

    silently = me.put(ME, {"email": "new@example.com"})
    assert silently.status_code == 400
    assert silently.json()["code"] == "email_change_requires_confirmation"
    assert me.post(CHANGE, {"new_email": "new@example.com"}).json()["code"] == "invalid_password"

    response = me.post(CHANGE, {"new_email": "New@Example.com", "password": DEFAULT_PASSWORD})

    assert response.status_code == 202
    assert response.json()["pending_email"] == "new@example.com"
    mail = mail_server.wait_for("new@example.com")
    assert me.get(ME).json()["email"] == "old@example.com"  # nothing changed yet

    confirmed = me.post(CHANGE_CONFIRM, {"code": mail.code})

    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["email"] == "new@example.com"
    assert confirmed.json()["email_verified"] is True
    notice = mail_server.wait_for("old@example.com")
    assert "new@example.com" in notice.text
    assert login("new@example.com")
    assert APIClient().post(LOGIN, {"email": "old@example.com", "password": DEFAULT_PASSWORD}).status_code == 401


def test_an_address_taken_meanwhile_is_not_taken_over(mail_server):
    user = UserFactory(email="old@example.com")
    me = client_for(login(user.email)["access_token"])
    assert me.post(CHANGE, {"new_email": UserFactory().email, "password": DEFAULT_PASSWORD}).status_code == 409
    me.post(CHANGE, {"new_email": "new@example.com", "password": DEFAULT_PASSWORD})
    token = mail_server.wait_for("new@example.com").link_token
    UserFactory(email="new@example.com")

    response = APIClient().post(CHANGE_CONFIRM, {"token": token})

    assert response.status_code == 409
    assert User.objects.get(pk=user.pk).email == "old@example.com"


def test_mails_are_written_in_the_language_of_the_request(mail_server):
    register("vy@example.com", HTTP_ACCEPT_LANGUAGE="vi")
    register("sam@example.com", HTTP_ACCEPT_LANGUAGE="en-GB")

    vietnamese, english = mail_server.wait_for("vy@example.com"), mail_server.wait_for("sam@example.com")

    assert english.text.startswith("Hello Trần Thị Lan,")
    assert english.subject.startswith("Your English Practice verification code")
    assert vietnamese.subject != english.subject and vietnamese.code in vietnamese.subject
    assert "Hello" not in vietnamese.text and "Trần Thị Lan" in vietnamese.text
    assert '<html lang="vi">' in vietnamese.html
