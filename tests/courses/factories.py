import factory

from courses.models import Course, CourseStatus, Lesson, LessonItem, Unit
from tests.content.factories import SpeechFactory


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Course {n}")
    level = "A1"
    status = CourseStatus.PUBLISHED
    position = factory.Sequence(lambda n: n)

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.add(*extracted)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Unit {n}")
    position = factory.Sequence(lambda n: n + 1)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    unit = factory.SubFactory(UnitFactory)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    position = factory.Sequence(lambda n: n + 1)


class LessonItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonItem

    lesson = factory.SubFactory(LessonFactory)
    speech = factory.SubFactory(SpeechFactory)
    position = factory.Sequence(lambda n: n + 1)


def build_course(*, units: list[list[int]], **course_fields) -> tuple[Course, list[Lesson]]:
    """A course whose units hold lessons of the given sentence counts: [[2, 3], [1]] is two units, three
    lessons. Returns the course and its lessons in course order. Units and lessons are created out of order
    on purpose, so ordering comes from positions, not insertion."""
    course = CourseFactory(**course_fields)
    ordered: list[Lesson] = []
    for unit_position, sizes in reversed(list(enumerate(units, start=1))):
        unit = UnitFactory(course=course, position=unit_position)
        lessons = []
        for lesson_position, size in reversed(list(enumerate(sizes, start=1))):
            lesson = LessonFactory(unit=unit, position=lesson_position)
            for item_position in range(1, size + 1):
                LessonItemFactory(lesson=lesson, position=item_position)
            lessons.insert(0, lesson)
        ordered[:0] = lessons
    return course, ordered


def speeches_of(lesson: Lesson) -> list:
    return [item.speech for item in lesson.items.order_by("position").select_related("speech")]
