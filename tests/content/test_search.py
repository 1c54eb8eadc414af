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
