from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from content.serializers import SpeechItemSerializer
from core.api.openapi import error_response
from core.api.pagination import page_pagination
from core.api.representation import represent
from game import rules, selectors, services
from game.serializers import (
    HomeSerializer,
    ProgressSerializer,
    ReviewSetInputSerializer,
    ReviewSetSerializer,
    SessionCreatedSerializer,
    SessionDetailSerializer,
    SessionHistoryQuerySerializer,
    SessionInputSerializer,
    SessionListItemSerializer,
)
from rewards import rules as rewards_rules

TAGS = ["game"]


def _errors(*pairs: tuple[int, str]) -> dict:
    return {code: error_response(text) for code, text in pairs}


UNAUTHENTICATED = (401, "Missing or invalid access token.")
SAVED_MESSAGE = _("Session saved successfully")
REWARDS_RULES = rewards_rules.describe(daily_goal=settings.REWARDS_DAILY_XP_GOAL,
                                       freeze_every_days=settings.REWARDS_FREEZE_EVERY_DAYS,
                                       max_freezes=settings.REWARDS_MAX_FREEZES)


class SessionsApi(APIView):
    """POST saves a finished session; GET lists the caller's history."""

    # One path, two budgets (core.api.ratelimit accepts a per-method dict).
    rate_limit_scope = {"POST": "session_save", "GET": "history"}
    read_replica = ("GET",)
    pagination_class = page_pagination("sessions", default_limit=20, max_limit=100)

    @extend_schema(
        tags=TAGS,
        summary="Save a completed session",
        description=(
            "Stores the session and all its results in one transaction, or nothing. The statistics are checked "
            "against the results (see the field descriptions); any disagreement is a 400 listing every problem "
            "in `errors` (per-result problems under `errors.results.<index in the request>`). "
            "Send an `Idempotency-Key` to retry safely: a repeat with the same key and body gets the first answer "
            "(with `Idempotent-Replayed: true`) and creates nothing; keys are honoured for "
            "GAME_IDEMPOTENCY_KEY_TTL_HOURS (default 24). The answer says what the session earned (`rewards`: XP, "
            "level, streak, daily goal, newly awarded achievements to celebrate) and, for a session that named a "
            "`lesson_id`, the lesson's outcome (`lesson`); a replay repeats them. " + REWARDS_RULES
        ),
        parameters=[OpenApiParameter(
            "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
            description="1-255 visible ASCII characters, unique per session you save (e.g. a UUID).",
        )],
        request=SessionInputSerializer,
        responses={
            201: SessionCreatedSerializer,
            **_errors((400, "Invalid fields, or statistics that disagree with the results."), UNAUTHENTICATED,
                      (404, "A speech_id (errors.speech_ids), tag (errors.selected_tags) or lesson does not "
                            "exist."),
                      (409, "The Idempotency-Key was used with a different body, or the lesson is locked.")),
        },
    )
    def post(self, request):
        payload = SessionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        outcome = services.save_session(user=request.user, session=payload.to_input(),
                                        idempotency_key=request.headers.get("Idempotency-Key"))
        body = SessionCreatedSerializer({"session_id": outcome.session_id, "message": SAVED_MESSAGE,
                                         "rewards": outcome.outcome.get("rewards"),
                                         "lesson": outcome.outcome.get("lesson")}).data
        # A replay repeats the first answer, which was this 201.
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)

    @extend_schema(
        tags=TAGS,
        summary="Session history",
        description="The caller's sessions, newest `completed_at` first.",
        parameters=[
            SessionHistoryQuerySerializer,
            OpenApiParameter("from_date", OpenApiTypes.STR, description=(
                "Sessions completed at or after. An ISO date means the start of that day in the learner's time "
                "zone; an ISO datetime is exact (UTC when it has no offset).")),
            OpenApiParameter("to_date", OpenApiTypes.STR, description=(
                "Sessions completed at or before. An ISO date includes that whole day in the learner's time zone; "
                "an ISO datetime is exact (UTC when it has no offset).")),
        ],
        responses={200: SessionListItemSerializer(many=True),
                   **_errors((400, "Invalid filter or page/limit."), UNAUTHENTICATED)},
    )
    def get(self, request):
        query = SessionHistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        sessions = selectors.session_history(user=request.user, **query.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(sessions, request, view=self)
        return paginator.get_paginated_response(SessionListItemSerializer(page, many=True).data)


class SessionDetailApi(APIView):
    rate_limit_scope = "history"

    @extend_schema(
        tags=TAGS,
        summary="One session with its results",
        description="Results in sequence order, each with its speech (signed `audio_url`); archived speeches "
                    "included.",
        responses={200: SessionDetailSerializer,
                   **_errors(UNAUTHENTICATED, (403, "The session belongs to another user."),
                             (404, "No such session."))},
    )
    def get(self, request, session_id):
        body = selectors.session_detail(session_id=session_id, user=request.user,
                                        serialize=SpeechItemSerializer.unsigned_items,
                                        represent=SessionDetailSerializer.unsigned)
        return Response(SessionDetailSerializer.signed(body, request=request))


class ReviewSetApi(APIView):
    rate_limit_scope = "practice_set"

    @extend_schema(
        tags=TAGS,
        summary="Review set: your sentences most worth practising again",
        description=rules.REVIEW_RULE + " Empty when there is nothing to review.",
        request=ReviewSetInputSerializer,
        responses={200: ReviewSetSerializer, **_errors((400, "limit is not 1-50."), UNAUTHENTICATED)},
    )
    def post(self, request):
        payload = ReviewSetInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        items = selectors.review_items(user=request.user, limit=payload.validated_data["limit"],
                                       serialize=SpeechItemSerializer.unsigned_items)
        return Response({"speeches": [SpeechItemSerializer.signed(item, request=request) for item in items]},
                        status=status.HTTP_200_OK)


class ProgressApi(APIView):
    rate_limit_scope = "history"

    @extend_schema(
        tags=["users"],
        summary="Your learning progress",
        description=(
            "Totals, accuracy overall, per level and per tag, average pronunciation per week, daily streaks "
            "(days counted in the user's time zone), XP and what to practise next. " + rules.XP_RULE
        ),
        responses={200: ProgressSerializer, **_errors(UNAUTHENTICATED)},
    )
    def get(self, request):
        return Response(represent(ProgressSerializer, selectors.learner_progress(user=request.user)))


class HomeApi(APIView):
    rate_limit_scope = "history"

    @extend_schema(
        tags=["users"],
        summary="Home screen",
        description=("Everything the home screen shows, in one call: streak and freezes, today's XP against the "
                     "daily goal, level, league tier and rank, sentences due for review, the next lesson, weak tags "
                     "and achievements not "
                     "yet seen. Each part is read from per-learner aggregates, so its cost does not grow with "
                     "history. " + REWARDS_RULES),
        responses={200: HomeSerializer, **_errors(UNAUTHENTICATED)},
    )
    def get(self, request):
        return Response(represent(HomeSerializer, selectors.home_screen(user=request.user)))
