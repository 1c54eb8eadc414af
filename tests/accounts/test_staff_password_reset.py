"""The admin's own "Forgotten your password?" for staff, mailed by a real worker to a real SMTP server."""

import re

import pytest
from django.test import Client

from accounts.models import DeviceSession
from tests.accounts.factories import StaffUserFactory, UserFactory
from tests.accounts.helpers import login

pytestmark = pytest.mark.usefixtures("celery_worker")


def _reset_link(mail) -> str:
    match = re.search(r"https?://[^/\s]+(/admin/reset/\S+/)", mail.text)
    assert match, mail.text
    return match.group(1)


def test_staff_reset_their_admin_password_by_mail(mail_server):
    editor = StaffUserFactory(email="editor@example.com")
    login(editor.email)
    browser = Client()
    assert 'href="/admin/password_reset/"' in browser.get("/admin/login/").content.decode()

    assert browser.post("/admin/password_reset/", {"email": "Editor@Example.com"}).status_code == 302
    mail = mail_server.wait_for("editor@example.com")
    assert mail.message.get_content_type() == "text/plain"  # Django's reset mail has no HTML: none is sent empty
    link = _reset_link(mail)
    form_page = browser.get(link, follow=True)
    assert form_page.status_code == 200
    set_password_url = form_page.redirect_chain[-1][0]
    done = browser.post(set_password_url, {"new_password1": "editor-new-passphrase-3",
                                           "new_password2": "editor-new-passphrase-3"})

    assert done.status_code == 302
    assert Client().post("/admin/login/", {"username": editor.email, "password": "editor-new-passphrase-3"}
                         ).status_code == 302
    assert DeviceSession.objects.get(user=editor).revoked_at is not None  # signed in before: now out
    # The link works once.
    assert "invalid" in browser.get(link, follow=True).content.decode().lower()


def test_learners_get_no_admin_reset_mail(mail_server):
    learner = UserFactory(email="learner@example.com")
    editor = StaffUserFactory(email="editor@example.com")

    Client().post("/admin/password_reset/", {"email": learner.email})
    Client().post("/admin/password_reset/", {"email": editor.email})

    mail_server.wait_for(editor.email)
    assert mail_server.to(learner.email) == []
