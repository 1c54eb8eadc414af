"""Error texts follow Accept-Language (English, Vietnamese); machine codes never change; the admin stays English."""

import ast
import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from accounts.exceptions import InvalidCredentials
from core.api.ratelimit import RateLimited
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db
VIETNAMESE = {"HTTP_ACCEPT_LANGUAGE": "vi-VN,vi;q=0.9,en;q=0.5"}
CATALOGUE = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES" / "django.po"


def in_vietnamese(text) -> str:
    with translation.override("vi"):
        return str(text)


def test_a_400_is_explained_in_vietnamese_with_the_same_code():
    english = APIClient().post("/api/v1/auth/register", {"email": "not-an-email", "password": "x", "name": "A"})
    vietnamese = APIClient().post("/api/v1/auth/register", {"email": "not-an-email", "password": "x", "name": "A"},
                                  **VIETNAMESE)

    assert english.status_code == vietnamese.status_code == 400
    assert english.json()["code"] == vietnamese.json()["code"] == "invalid_input"
    assert english.json()["detail"] == "Invalid input."
    assert vietnamese.json()["detail"] not in ("", "Invalid input.")
    assert vietnamese.json()["errors"]["email"] != english.json()["errors"]["email"]
    assert vietnamese["Content-Language"] == "vi"
    assert "Accept-Language" in vietnamese["Vary"]


def test_a_401_is_explained_in_vietnamese():
    user = UserFactory()
    body = {"email": user.email, "password": "wrong-password-1"}

    vietnamese = APIClient().post("/api/v1/auth/login", body, **VIETNAMESE)
    english = APIClient().post("/api/v1/auth/login", body, HTTP_ACCEPT_LANGUAGE="en-US")

    assert vietnamese.status_code == english.status_code == 401
    assert vietnamese.json() == {"code": "invalid_credentials", "detail": in_vietnamese(InvalidCredentials.detail)}
    assert vietnamese.json()["detail"] != english.json()["detail"] == "Invalid email or password."
    # Not signed in at all: DRF's own message, translated too.
    unauthenticated = APIClient().get("/api/v1/users/me", **VIETNAMESE).json()
    assert unauthenticated["code"] == "not_authenticated"
    assert unauthenticated["detail"] != APIClient().get("/api/v1/users/me").json()["detail"]


def test_a_429_is_explained_in_vietnamese(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "register": "1/m"}
    body = {"email": "not-an-email", "password": "x", "name": "A"}
    APIClient().post("/api/v1/auth/register", body)

    refused = APIClient().post("/api/v1/auth/register", body, **VIETNAMESE)

    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    wait = int(refused["Retry-After"])
    assert refused.json()["detail"].startswith(in_vietnamese(RateLimited.default_detail))
    assert str(wait) in refused.json()["detail"]
    assert "Try again" not in refused.json()["detail"]


def test_an_unknown_language_gets_english():
    response = APIClient().get("/api/v1/users/me", HTTP_ACCEPT_LANGUAGE="fr-FR,de;q=0.8")

    assert response["Content-Language"] == "en"
    assert response.json()["detail"] == "Authentication credentials were not provided."


def test_the_admin_stays_in_english_for_a_vietnamese_browser():
    page = Client().get("/admin/login/", **VIETNAMESE).content.decode()

    assert '<html lang="en"' in page
    assert "Log in" in page


def _unquote(lines: list[str]) -> str:
    return "".join(ast.literal_eval(line) for line in lines)


def po_entries(path: Path) -> list[dict]:
    """Each entry of a .po file: msgid, msgid_plural, msgstr (the first form) and flags."""
    entries, entry, field = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if entry and "msgid" in entry:
                entries.append({key: _unquote(value) if isinstance(value, list) else value
                                for key, value in entry.items()})
            entry, field = None, None
            continue
        entry = entry if entry is not None else {"flags": ""}
        if line.startswith("#,"):
            entry["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[field].append(line)
        else:
            keyword, _, value = line.partition(" ")
            field = {"msgstr[0]": "msgstr"}.get(keyword, keyword)
            entry[field] = [value]
    return [entry for entry in entries if entry["msgid"]]  # not the header


def test_the_vietnamese_catalogue_is_complete_and_compiled():
    entries = po_entries(CATALOGUE)
    compiled = gettext.GNUTranslations(CATALOGUE.with_suffix(".mo").open("rb"))

    assert len(entries) > 100
    assert [entry["msgid"] for entry in entries if "fuzzy" in entry["flags"]] == []
    assert [entry["msgid"] for entry in entries if not entry.get("msgstr")] == []
    stale = [entry["msgid"] for entry in entries if "msgid_plural" not in entry
             and "msgctxt" not in entry and compiled.gettext(entry["msgid"]) != entry["msgstr"]]
    assert stale == [], "the .mo is older than the .po: run `make messages`"
