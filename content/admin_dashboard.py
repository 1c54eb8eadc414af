"""The content coverage dashboard of Django Admin: what the catalogue holds, at a glance.

A view only: the numbers come from `content.coverage`; this module lays them out and turns
them into bar geometry, so the template draws its charts as inline SVG (no script, nothing
fetched from elsewhere: the CSP allows neither).
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from content import coverage
from content.models import Level, SentenceType, Speech

PERMISSION = "content.view_speech"
TEMPLATE = "admin/content/dashboard.html"
CHART_TAGS = 15  # the tag chart shows the most used; the table below it lists every tag
LIST_LENGTH = 10


@dataclass(frozen=True)
class Segment:
    x: int
    width: int
    value: int
    label: str
    css: str  # the class that colours it (the legend uses the same)


@dataclass(frozen=True)
class BarRow:
    label: str
    y: int
    text_y: int
    segments: list[Segment]
    total: int
    total_x: int


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    rows: list[BarRow]


ROW_HEIGHT = 26
BAR_HEIGHT = 18
NUMBER_ROOM = 64  # past the longest bar, for its total


def bar_chart(rows: list[tuple[str, list[tuple[str, int, str]]]], *, label_width: int = 56,
              bar_width: int = 480) -> BarChart:
    """Horizontal (stacked) bars: each row is (label, [(segment label, value, css class), ...]).

    Lengths are in proportion to the largest row total, so the longest bar fills `bar_width`;
    a non-zero segment is at least 1 pixel, so a handful of speeches never looks like none.
    """
    largest = max((sum(value for _, value, _ in segments) for _, segments in rows), default=0)
    chart_rows = []
    for index, (label, segments) in enumerate(rows):
        y, x, drawn = index * ROW_HEIGHT, label_width, []
        for segment_label, value, css in segments:
            width = max(1, round(value * bar_width / largest)) if value else 0
            drawn.append(Segment(x=x, width=width, value=value, label=segment_label, css=css))
            x += width
        chart_rows.append(BarRow(label=label, y=y + (ROW_HEIGHT - BAR_HEIGHT) // 2, text_y=y + ROW_HEIGHT // 2 + 5,
                                 segments=drawn, total=sum(value for _, value, _ in segments), total_x=x + 6))
    return BarChart(width=label_width + bar_width + NUMBER_ROOM, height=max(len(rows), 1) * ROW_HEIGHT,
                    label_width=label_width, bar_height=BAR_HEIGHT, rows=chart_rows)


def _changelist(**filters: str) -> str:
    url = reverse("admin:content_speech_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def _change(speech_id) -> str:
    return reverse("admin:content_speech_change", args=[speech_id])


def _type_classes() -> dict[str, str]:
    return {type_: f"bar-{index}" for index, type_ in enumerate(SentenceType.values)}


def _level_by_type(counts: dict[tuple[str, str], int]) -> dict:
    types = SentenceType.choices
    rows = [{
        "level": level,
        "cells": [{"count": counts[(level, type_)], "url": _changelist(level=level, type=type_)}
                  for type_, _label in types],
        "total": sum(counts[(level, type_)] for type_, _label in types),
        "url": _changelist(level=level),
    } for level in Level.values]
    return {
        "types": [{"label": label, "css": _type_classes()[type_], "url": _changelist(type=type_)}
                  for type_, label in types],
        "rows": rows,
        "type_totals": [sum(counts[(level, type_)] for level in Level.values) for type_, _label in types],
        "total": sum(counts.values()),
        "chart": bar_chart([(level, [(label, counts[(level, type_)], _type_classes()[type_])
                                     for type_, label in types]) for level in Level.values]),
    }


def _tags(tags: list[coverage.TagCoverage]) -> dict:
    return {
        "rows": [{"name": tag.name, "category": tag.category or "", "count": tag.speeches,
                  "url": _changelist(tag=str(tag.id))} for tag in tags],
        "chart": bar_chart([(Truncator(tag.name).chars(22), [(tag.name, tag.speeches, "bar-0")])
                            for tag in tags[:CHART_TAGS]], label_width=170, bar_width=400),
        "charted": min(len(tags), CHART_TAGS),
    }


def _type_label(type_: str) -> str:
    return dict(SentenceType.choices).get(type_, type_)


def _practised(speeches: list[coverage.PractisedSpeech]) -> list[dict]:
    return [{"text": Truncator(speech.text).chars(90), "level": speech.level, "type": _type_label(speech.type),
             "results": speech.results, "url": _change(speech.id)} for speech in speeches]


def _problems(problems: list[coverage.AudioProblem]) -> list[dict]:
    labels = {"missing": _("no audio stored"), "unplayable": _("not an MP3, WAV or M4A key")}
    return [{"text": Truncator(problem.text).chars(90), "level": problem.level, "type": _type_label(problem.type),
             "audio": problem.audio,
             "problem": labels[problem.problem], "url": _change(problem.id)} for problem in problems]


def coverage_dashboard_view(model_admin, request) -> TemplateResponse:
    """The dashboard page; the admin site has already required a signed-in active staff member."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    totals = coverage.catalogue_totals()
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Speech._meta,
        "title": _("Content coverage"),
        "totals": totals,
        "recent_days": [{"days": days, "count": count} for days, count in totals.created_recently.items()],
        "archived_url": _changelist(archived="yes"),
        "level_type": _level_by_type(coverage.speeches_by_level_and_type()),
        "tags": _tags(coverage.speeches_per_tag()),
        # Only looked for when the totals say there is something to find: otherwise it reads every speech.
        "audio_examples": _problems(coverage.audio_problems(limit=LIST_LENGTH))
        if totals.audio_missing or totals.audio_unplayable else [],
        "last_sweep": coverage.last_audio_sweep(),
        "imports": coverage.recent_imports(limit=5),
        "never_practised": coverage.never_practised_count(),
        "most_practised": _practised(coverage.most_practised(limit=LIST_LENGTH)),
        "least_practised": _practised(coverage.least_practised(limit=LIST_LENGTH)),
    }
    return TemplateResponse(request, TEMPLATE, context)
