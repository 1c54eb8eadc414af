from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.openapi import error_response
from core.api.pagination import page_pagination
from courses import rules, selectors
from courses.serializers import (
    CourseDetailSerializer,
    CourseListQuerySerializer,
    CourseSerializer,
    LessonStartSerializer,
)

TAGS = ["courses"]
UNAUTHENTICATED = {401: error_response("Missing or invalid access token.")}


class CourseListApi(APIView):
    rate_limit_scope = "history"
    pagination_class = page_pagination("courses", default_limit=20, max_limit=100)

    @extend_schema(
        tags=TAGS,
        summary="Published courses",
        description="Published courses in their editors' order, with the caller's progress in each.",
        parameters=[CourseListQuerySerializer],
        responses={200: CourseSerializer(many=True),
                   400: error_response("Unknown level, or invalid page/limit."), **UNAUTHENTICATED},
    )
    def get(self, request):
        query = CourseListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        courses = selectors.published_courses(user=request.user, level=query.validated_data.get("level"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(courses, request, view=self)
        return paginator.get_paginated_response(
            CourseSerializer([selectors.course_summary(course) for course in page], many=True).data)


class CourseDetailApi(APIView):
    rate_limit_scope = "history"

    @extend_schema(
        tags=TAGS,
        summary="One course with its units and lessons",
        description="Units and lessons in course order, each lesson with its state for the caller. " + rules.PASS_RULE,
        responses={200: CourseDetailSerializer, **UNAUTHENTICATED,
                   404: error_response("`course_not_found`: no such course, or it is not published.")},
    )
    def get(self, request, course_id):
        return Response(CourseDetailSerializer(selectors.course_detail(user=request.user, course_id=course_id)).data)


class LessonStartApi(APIView):
    rate_limit_scope = "practice_set"

    @extend_schema(
        tags=TAGS,
        summary="Start a lesson",
        description=(
            "The lesson and its active sentences in lesson order, in the practice set's item shape (signed "
            "`audio_url`). Save the played session with `POST /game/sessions` and this `lesson_id` to count the "
            "attempt. Nothing is written here."
        ),
        request=None,
        responses={200: LessonStartSerializer, **UNAUTHENTICATED,
                   404: error_response("`lesson_not_found`: no such lesson, or its course is not published."),
                   409: error_response("`lesson_locked`: the lesson before it is not completed; `lesson_empty`: "
                                       "none of its sentences is active.")},
    )
    def post(self, request, lesson_id):
        started = selectors.lesson_to_start(user=request.user, lesson_id=lesson_id)
        return Response(LessonStartSerializer(started, context={"request": request}).data)
