from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.openapi import error_response
from core.api.pagination import page_pagination
from rewards import rules, selectors, services
from rewards.serializers import AchievementListSerializer, DailyGoalSerializer, XpEventSerializer

TAGS = ["rewards"]
UNAUTHENTICATED = {401: error_response("Missing or invalid access token.")}
RULES = rules.describe(daily_goal=settings.REWARDS_DAILY_XP_GOAL,
                       freeze_every_days=settings.REWARDS_FREEZE_EVERY_DAYS, max_freezes=settings.REWARDS_MAX_FREEZES)


class AchievementsApi(APIView):
    rate_limit_scope = "history"

    @extend_schema(
        tags=TAGS,
        summary="Achievements and your progress toward each",
        description=(
            "The active catalogue in position order, each with whether you earned it (and when) and your current "
            "progress toward its threshold. Achievements you earned that were retired since are still listed. "
            "Each is awarded once, when a saved session crosses its threshold, with its XP. " + RULES
        ),
        responses={200: AchievementListSerializer, **UNAUTHENTICATED},
    )
    def get(self, request):
        return Response(AchievementListSerializer({"achievements": selectors.achievements_for(user=request.user)}).data)


class AchievementsSeenApi(APIView):
    rate_limit_scope = "default"

    @extend_schema(
        tags=TAGS,
        summary="Mark your new achievements as seen",
        description="The home screen's list of new achievements empties. Safe to repeat.",
        request=None,
        responses={204: None, **UNAUTHENTICATED},
    )
    def post(self, request):
        services.mark_achievements_seen(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class XpEventsApi(APIView):
    rate_limit_scope = "history"
    pagination_class = page_pagination("events", default_limit=20, max_limit=100)

    @extend_schema(
        tags=TAGS,
        summary="Your XP ledger",
        description="Every XP event, newest first: how much, why, for which session or achievement. " + RULES,
        responses={200: XpEventSerializer(many=True),
                   400: error_response("page or limit out of range."), **UNAUTHENTICATED},
    )
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.xp_events(user=request.user), request, view=self)
        return paginator.get_paginated_response(XpEventSerializer(page, many=True).data)


class DailyGoalApi(APIView):
    rate_limit_scope = "default"

    @extend_schema(
        tags=TAGS,
        summary="Set your daily XP goal",
        description=(f"XP to earn per day (in your time zone), {rules.DAILY_GOAL_MIN}-{rules.DAILY_GOAL_MAX}; "
                     f"{settings.REWARDS_DAILY_XP_GOAL} until you set one."),
        request=DailyGoalSerializer,
        responses={200: DailyGoalSerializer,
                   400: error_response(f"daily_xp_goal missing or not {rules.DAILY_GOAL_MIN}-"
                                       f"{rules.DAILY_GOAL_MAX}."), **UNAUTHENTICATED},
    )
    def put(self, request):
        payload = DailyGoalSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        goal = services.set_daily_goal(user=request.user, daily_xp_goal=payload.validated_data["daily_xp_goal"])
        return Response(DailyGoalSerializer({"daily_xp_goal": goal}).data)
