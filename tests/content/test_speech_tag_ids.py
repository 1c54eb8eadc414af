"""Practice-set id lists read each speech's own copy of its tag ids on PostgreSQL (content migration 0009).

The copy is kept by triggers on the links, so whatever writes a link (a service, the ORM's
many-to-many, a bulk import, a raw UPDATE) must leave it equal to them, or a practice set would
serve a speech under a tag it no longer has.
"""

import random

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from content import selectors, services
from content.models import SpeechTag
from content.services.speeches import SpeechChanges
from tests.content.factories import SpeechFactory, TagFactory

URL = "/api/v1/game/speeches/random"

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the tag-id copy is PostgreSQL's"),
    pytest.mark.django_db,
]


def copies_differing_from_links() -> int:
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*) FROM content_speech AS speech
            WHERE ARRAY(SELECT unnest(speech.tag_ids) ORDER BY 1)
               <> ARRAY(SELECT link.tag_id FROM content_speech_tags AS link
                        WHERE link.speech_id = speech.id ORDER BY 1)
        """)
        return cursor.fetchone()[0]


def served_ids(client, *tags) -> set[str]:
    response = client.post(URL, {"level": "A1", "type": "question", "tags": [str(t.id) for t in tags],
                                 "limit": 20}, format="json")
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["speeches"]}


def test_every_way_of_retagging_shows_in_the_next_practice_set(auth_client, staff_user):
    food, travel = TagFactory(name="Food"), TagFactory(name="Travel")
    soup, train = (SpeechFactory(level="A1", type="question", tags=[food]),
                   SpeechFactory(level="A1", type="question", tags=[travel]))
    assert served_ids(auth_client, food) == {str(soup.id)}

    services.update_speech(speech=train, changes=SpeechChanges(tag_ids=[food.id, travel.id]), actor=staff_user)
    assert served_ids(auth_client, food) == {str(soup.id), str(train.id)}

    services.remove_tag_from_speeches(speech_ids=[soup.id], tag=food, actor=staff_user)
    assert served_ids(auth_client, food) == {str(train.id)}

    services.add_tag_to_speeches(speech_ids=[soup.id], tag=travel, actor=staff_user)
    assert served_ids(auth_client, travel) == {str(soup.id), str(train.id)}

    # A tag is deleted once only archived speeches have it: its links go, and so do the copies'.
    services.archive_speech(speech=soup, actor=staff_user)
    services.remove_tag_from_speeches(speech_ids=[train.id], tag=travel, actor=staff_user)
    services.delete_tag(tag=travel, actor=staff_user)
    services.restore_speeches(speech_ids=[soup.id], actor=staff_user)
    services.add_tag_to_speeches(speech_ids=[soup.id], tag=food, actor=staff_user)
    assert served_ids(auth_client, food) == {str(soup.id), str(train.id)}
    assert copies_differing_from_links() == 0


def test_links_written_any_way_leave_each_copy_equal_to_them():
    rng = random.Random(16)
    tags = [TagFactory() for _ in range(5)]
    speeches = [SpeechFactory(tags=rng.sample(tags, rng.randint(0, 3))) for _ in range(30)]
    for _ in range(40):
        speech = rng.choice(speeches)
        step = rng.choice(["set", "clear", "bulk", "delete", "move"])
        if step == "set":
            speech.tags.set(rng.sample(tags, rng.randint(1, 4)))
        elif step == "clear":
            speech.tags.clear()
        elif step == "bulk":  # one statement across speeches, as an import writes them
            SpeechTag.objects.bulk_create([SpeechTag(speech=s, tag=rng.choice(tags)) for s in rng.sample(speeches, 5)],
                                          ignore_conflicts=True)
        elif step == "delete":
            SpeechTag.objects.filter(tag=rng.choice(tags), speech__in=rng.sample(speeches, 10)).delete()
        else:  # a link moved to another speech by an UPDATE: both speeches change
            link = SpeechTag.objects.order_by("?").first()
            target = rng.choice(speeches)
            if link and not SpeechTag.objects.filter(speech=target, tag_id=link.tag_id).exists():
                SpeechTag.objects.filter(pk=link.pk).update(speech=target)
        assert copies_differing_from_links() == 0, step


def speech_rows_updated() -> int:
    with connection.cursor() as cursor:  # in this transaction, by any statement or trigger
        cursor.execute("SELECT pg_stat_get_xact_tuples_updated('content_speech'::regclass)")
        return cursor.fetchone()[0]


def test_a_copy_import_writes_each_copy_with_its_row_and_rewrites_none(auth_client):
    food = TagFactory(name="Food")
    count = services.bulk.COPY_MIN_ROWS + 5  # loaded with COPY
    items = [services.NewSpeech(f"Sentence {n}", "A1", "question", ("Food", "Travel")[:1 + n % 2], f"audio/{n}.wav")
             for n in range(count)]
    updated_before = speech_rows_updated()

    created = services.create_speeches(items=items, copy_audio=False)

    assert speech_rows_updated() == updated_before
    assert copies_differing_from_links() == 0
    assert served_ids(auth_client, food) <= {str(speech_id) for speech_id in created.ids}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM content_speech WHERE cardinality(tag_ids) = 2")
        assert cursor.fetchone()[0] == len(created.ids[1::2])


@pytest.mark.django_db(transaction=True)
def test_the_id_list_query_is_answered_from_the_index_alone():
    # What keeps a build at a million speeches in tens of milliseconds: without the copy in the
    # index (or with a query the index cannot answer) it was a hash join over every link of the tags.
    food = TagFactory(name="Food")  # "Other" is created by the import
    services.create_speeches(items=[
        services.NewSpeech(f"Sentence {n}", level, kind, ("Food",) if n % 3 == 0 else ("Other",), f"audio/{n}.wav")
        for n, (level, kind) in enumerate((level, kind) for level in ("A1", "A2", "B1", "B2", "C1")
                                          for kind in ("question", "answer") for _ in range(60))], copy_audio=False)
    with connection.cursor() as cursor:  # committed rows: statistics and a visibility map, as a live table has
        cursor.execute("VACUUM (ANALYZE) content_speech")
    with CaptureQueriesContext(connection) as queries:
        packed = selectors._matching_speech_ids(level="A1", type="question", tag_ids=[food.id])
    assert len(packed) == 20 * 16
    (build,) = [q["sql"] for q in queries.captured_queries if "content_speech" in q["sql"]]

    with transaction.atomic(), connection.cursor() as cursor:
        for plan_kind in ("seqscan", "bitmapscan"):  # a small table: scanning it all would cost least
            cursor.execute(f"SET LOCAL enable_{plan_kind} = off")
        cursor.execute(f"EXPLAIN {build}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Only Scan using idx_speech_active_level_type_tags" in plan, plan
    assert "content_speech_tags" not in plan


def test_a_bulk_retag_of_thousands_writes_its_links_a_thousand_per_statement(staff_user):
    # Each statement's trigger rewrites its speeches: bounded, a big selection stays inside the
    # web's statement timeout.
    food = TagFactory(name="Food")
    created = services.create_speeches(items=[
        services.NewSpeech(f"Sentence {n}", "A1", "question", ("Other",), f"audio/{n}.wav") for n in range(2500)],
        copy_audio=False)

    with CaptureQueriesContext(connection) as added:
        assert services.add_tag_to_speeches(speech_ids=created.ids, tag=food, actor=staff_user) == 2500
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM content_speech WHERE tag_ids @> ARRAY[%s]::uuid[]", [str(food.id)])
        assert cursor.fetchone()[0] == 2500
    with CaptureQueriesContext(connection) as removed:
        assert services.remove_tag_from_speeches(speech_ids=created.ids, tag=food, actor=staff_user) == 2500

    assert copies_differing_from_links() == 0
    assert len([q for q in added.captured_queries if q["sql"].startswith('INSERT INTO "content_speech_tags"')]) == 3
    assert len([q for q in removed.captured_queries if q["sql"].startswith('DELETE FROM "content_speech_tags"')]) == 3
