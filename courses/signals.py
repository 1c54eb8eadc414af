"""Any change to the catalogue, whichever way it is made (admin forms and inlines, actions, services), bumps
its generation, so nothing cached from it outlives the change."""

from django.db.models.signals import post_delete, post_save

from core.cache import bump_generation
from courses.models import Course, Lesson, LessonItem, Unit
from courses.selectors import CATALOGUE_GENERATION


def _catalogue_changed(**kwargs) -> None:
    bump_generation(CATALOGUE_GENERATION)


def connect() -> None:
    for model in (Course, Unit, Lesson, LessonItem):
        for signal in (post_save, post_delete):
            signal.connect(_catalogue_changed, sender=model, dispatch_uid=f"courses-catalogue-{model.__name__}")
