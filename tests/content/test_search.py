import pytest
from django.db import connection

from content.models import Speech
from content.selectors import search_speeches
from tests.content.factories import SpeechFactory

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")


@on_postgres
def test_search_matches_word_forms(staff_client):
    cooking = SpeechFactory(text="My grandmother cooked dinner for us.")
    SpeechFactory(text="Where is the station?")

    response = staff_client.get("/api/v1/admin/speeches", {"search": "cooking"})

    assert [s["id"] for s in response.json()["speeches"]] == [str(cooking.id)]


@on_postgres
def test_search_uses_the_gin_index():
    queryset = search_speeches(Speech.objects.all(), "dinner").values("id")
    sql, params = queryset.query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "idx_speech_text_fts" in plan


def test_search_ignores_case():
    SpeechFactory(text="Where is the station?")

    found = search_speeches(Speech.objects.all(), "STATION")

    assert [s.text for s in found] == ["Where is the station?"]


@pytest.mark.parametrize("fragment", ["izza", "PIZ", "zza to"])
def test_search_finds_a_part_of_a_word(staff_client, fragment):
    pizza = SpeechFactory(text="I would like a pizza tonight.")
    SpeechFactory(text="Where is the station?")

    response = staff_client.get("/api/v1/admin/speeches", {"search": fragment})

    assert [s["id"] for s in response.json()["speeches"]] == [str(pizza.id)]


@on_postgres
def test_substring_search_uses_the_trigram_index():
    queryset = search_speeches(Speech.objects.all(), "izza").values("id")
    sql, params = queryset.query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "idx_speech_text_trgm" in plan
    assert "idx_speech_text_fts" in plan


def test_the_admin_search_hint_says_what_this_database_does(admin_client):
    SpeechFactory(text="I would like a pizza tonight.")

    page = admin_client.get("/admin/content/speech/", {"q": "izza"}).content.decode()

    assert "pizza tonight" in page
    assert "izza finds pizza" in page
    assert ("cooking finds cooked" in page) == (connection.vendor == "postgresql")
