from django.urls import path

from courses import apis

app_name = "courses"

urlpatterns = [
    path("courses", apis.CourseListApi.as_view(), name="courses"),
    path("courses/<uuid:course_id>", apis.CourseDetailApi.as_view(), name="course-detail"),
    path("lessons/<uuid:lesson_id>/start", apis.LessonStartApi.as_view(), name="lesson-start"),
]
