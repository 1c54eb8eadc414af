"""The content coverage dashboard in Django Admin: its numbers are the database's, its cost is flat."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Count, Q
from django.test import Client
from django.utils import timezone

from audit.models import AuditLog
from content.models import Level, SentenceType, Speech, Tag
from tests.accounts.factories import StaffUserFactory
from tests.content.factories import SpeechFactory, TagFactory
from tests.game.factories import GameResultFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/content/speech/dashboard/"


class _Page(HTMLParser):
    """Every element with an id: its text; and every table with an id: its rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self._open: list[tuple[str, str | None]] = []  # (tag, id) of each open element
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    VOID = {"br", "img", "input", "meta", "link", "hr"}

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        element_id = dict(attrs).get("id")
        self._open.append((tag, element_id))
        if element_id:
            self.texts[element_id] = ""
        if tag == "table" and element_id:
            self._table, self.tables[element_id] = element_id, []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self._open:
            open_tag, element_id = self._open.pop()
            if open_tag == tag:
                break
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table" and element_id == self._table:
            self._table = None

    def handle_data(self, data):
        for _tag, element_id in self._open:
            if element_id:
                self.texts[element_id] += data
        if self._cell is not None:
            self._cell.append(data)


def parse(response) -> _Page:
    page = _Page()
    page.feed(response.content.decode())
    return page


def figure(page: _Page, name: str) -> int:
    return int(re.match(r"\s*(\d+)", page.texts[f"figure-{name}"]).group(1))


def editor_client(*codenames: str) -> Client:
    user = StaffUserFactory()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="content", codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def played(speech: Speech, times: int) -> None:
    for _ in range(times):
        GameResultFactory(speech=speech, sequence_number=1)  # a session of its own each time


def catalogue(scale: int = 1) -> dict:
    """Speeches in most level x type cells (one cell empty), tags in use and unused, archived
    speeches, broken audio keys, old and new speeches, practice results and import rows."""
    food, travel, _unused = TagFactory(name="Food"), TagFactory(name="Travel"), TagFactory(name="Unused")
    speeches = []
    for n in range(scale):
        speeches += [SpeechFactory(level=Level.A1, type=SentenceType.QUESTION, tags=[food]) for _ in range(3)]
        speeches += [SpeechFactory(level=Level.A1, type=SentenceType.ANSWER, tags=[travel])]
        speeches += [SpeechFactory(level=Level.B2, type=SentenceType.QUESTION, tags=[food, travel]) for _ in range(2)]
        speeches += [SpeechFactory(level=Level.C1, type=SentenceType.ANSWER)]  # untagged
        speeches += [SpeechFactory(level=Level.B1, type=SentenceType.ANSWER, audio="", tags=[food]),
                     SpeechFactory(level=Level.B1, type=SentenceType.QUESTION, audio=f"audio/B1/notes-{n}.txt")]
    archived = [SpeechFactory(level=Level.A2, tags=[food], archived_at=timezone.now()) for _ in range(2 * scale)]
    now = timezone.now()
    Speech.objects.filter(pk=speeches[0].pk).update(created_at=now - timedelta(days=10))
    Speech.objects.filter(pk=speeches[1].pk).update(created_at=now - timedelta(days=40))
    played(speeches[2], 4)
    played(speeches[3], 2)
    played(speeches[4], 1)
    played(archived[0], 9)  # archived: never listed as practised
    # What imports' CSV import records; the older row is of an import that could not update speeches.
    AuditLog.objects.create(action="import.csv_imported", object_type="upload_session", object_id="0e0e",
                            created_at=now - timedelta(days=3),
                            changes={"source": "command", "csv_filename": "old.csv", "speeches_created": 5})
    AuditLog.objects.create(action="import.csv_imported", actor_email="ed@example.com", object_type="upload_session",
                            object_id="0f0f", changes={"source": "admin", "csv_filename": "week1.csv",
                                                       "speeches_created": 12, "speeches_updated": 3,
                                                       "tags_created": 1})
    AuditLog.objects.create(action="speech.bulk_create", changes={"source": "seed", "speeches_created": 99})
    return {"speeches": speeches, "archived": archived, "tags": [food, travel, _unused]}


def test_the_numbers_on_the_page_are_the_database_s():
    data = catalogue()

    response = editor_client("view_speech").get(DASHBOARD)

    assert response.status_code == 200
    page = parse(response)
    active = Speech.objects.active()
    assert figure(page, "active") == active.count() == 9
    assert figure(page, "archived") == Speech.objects.filter(archived_at__isnull=False).count() == 2
    now = timezone.now()
    assert figure(page, "created-7") == Speech.objects.filter(created_at__gte=now - timedelta(days=7)).count() == 9
    assert figure(page, "created-30") == Speech.objects.filter(created_at__gte=now - timedelta(days=30)).count() == 10
    assert figure(page, "untagged") == active.filter(tags__isnull=True).count() == 2
    assert figure(page, "audio-missing") == active.filter(audio="").count() == 1
    assert figure(page, "audio-unplayable") == 1
    assert figure(page, "never-practised") == active.filter(game_results__isnull=True).count() == 6

    # Level x type: every cell, the row and column totals.
    table = page.tables["level-type-table"]
    header, body, footer = table[0], table[1:-1], table[-1]
    types = [label for _value, label in SentenceType.choices]
    assert header == ["Level", *types, "Total"]
    expected = {(lv, ty): active.filter(level=lv, type=ty).count() for lv in Level.values for ty in SentenceType.values}
    assert [row[0] for row in body] == Level.values
    for row in body:
        cells = [int(value) for value in row[1:]]
        assert cells[:-1] == [expected[(row[0], ty)] for ty in SentenceType.values]
        assert cells[-1] == sum(cells[:-1])
    assert [int(value) for value in footer[1:]] == [
        *[sum(expected[(lv, ty)] for lv in Level.values) for ty in SentenceType.values], 9]
    assert expected[("A2", "question")] == 0  # only archived speeches there

    # Per tag: active speeches only, most used first, unused tags listed with 0.
    rows = page.tables["tag-table"][1:]
    by_tag = dict(Tag.objects.annotate(n=Count("speeches", filter=Q(speeches__archived_at__isnull=True)))
                  .values_list("name", "n"))
    assert [(name, int(count)) for name, _category, count in rows] == [("Food", 6), ("Travel", 3), ("Unused", 0)]
    assert {name: int(count) for name, _category, count in rows} == by_tag

    # Practised most: counts of results of active speeches; least: never practised first.
    most = page.tables["most-practised-table"][1:]
    speeches = data["speeches"]
    assert [(row[0], int(row[-1])) for row in most] == [
        (speeches[2].text, 4), (speeches[3].text, 2), (speeches[4].text, 1)]
    least = page.tables["least-practised-table"][1:]
    never = set(active.filter(game_results__isnull=True).values_list("text", flat=True))
    assert [int(row[-1]) for row in least] == [0] * 6 + [1, 2, 4]
    assert {row[0] for row in least[:6]} == never

    # Audio to fix, and the last import from the audit trail.
    problems = {row[0]: row[3] for row in page.tables["audio-table"][1:]}
    assert problems == {speeches[7].text: "no audio stored", speeches[8].text: "not an MP3, WAV or M4A key"}
    assert page.tables["imports-table"][1:] == [
        [page.tables["imports-table"][1][0], "ed@example.com", "week1.csv", "admin", "12", "3"],
        [page.tables["imports-table"][2][0], "-", "old.csv", "command", "5", "-"]]


def test_practised_least_stops_at_the_list_length_of_never_practised_speeches():
    SpeechFactory.create_batch(12)
    practised = SpeechFactory()
    played(practised, 1)

    least = parse(editor_client("view_speech").get(DASHBOARD)).tables["least-practised-table"][1:]

    assert len(least) == 10 and {int(row[-1]) for row in least} == {0}


def test_an_empty_catalogue_renders():
    response = editor_client("view_speech").get(DASHBOARD)

    assert response.status_code == 200
    page = parse(response)
    assert figure(page, "active") == 0
    assert "No tags yet." in response.content.decode()
    assert "No CSV import yet." in response.content.decode()


@pytest.mark.parametrize("scale", [1, 6])
def test_the_query_count_does_not_grow_with_the_catalogue(scale, django_assert_max_num_queries):
    catalogue(scale)
    client = editor_client("view_speech")

    # Session, user and the two permission reads (4), totals (2), level x type, tags, audio to fix, the
    # last sweep, imports, never practised, practised most (2) and least (3 when few are unplayed).
    with django_assert_max_num_queries(17):
        response = client.get(DASHBOARD)

    assert response.status_code == 200


def test_staff_without_the_view_permission_get_403_and_anonymous_users_the_login():
    assert editor_client("add_tag").get(DASHBOARD).status_code == 403
    anonymous = Client().get(DASHBOARD)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]


def test_the_speech_list_links_to_the_dashboard():
    html = editor_client("view_speech").get("/admin/content/speech/").content.decode()

    assert f'href="{DASHBOARD}"' in html


def test_the_charts_are_inline_svg_with_no_script_and_nothing_external():
    catalogue()

    response = editor_client("view_speech").get(DASHBOARD)

    html = response.content.decode()
    main = html[html.index('id="content-main"'):html.index("<!-- END Content -->")]
    assert main.count("<svg") == 2 and "<script" not in main
    assert not re.search(r'(src|href)="(https?:)?//', main)
    # Bar lengths are in proportion: A1 (3 questions + 1 answer) is the longest level and fills
    # the 480 px; B2's 2 questions are half of it.
    bars = {title: int(width) for width, title in re.findall(
        r'<rect class="bar-\d" x="\d+" y="\d+" width="(\d+)" height="\d+"><title>([^<]+)</title>', main)}
    assert bars["A1 Question: 3"] + bars["A1 Answer: 1"] == 480
    assert bars["B2 Question: 2"] == 240
    assert bars["Food: 6"] == 400 and bars["Travel: 3"] == 200
    assert "Unused: 0" not in bars  # a zero draws no bar
    assert "Content-Security-Policy" in response
