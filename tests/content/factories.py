import factory
from django.core.files.base import ContentFile

from content.models import Level, SentenceType, Speech, Tag

# Smallest valid WAV: a RIFF header with no samples; real speech clips are used where audio matters.
EMPTY_WAV = (b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80>\x00\x00\x00}\x00\x00"
             b"\x02\x00\x10\x00data\x00\x00\x00\x00")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"Tag {n}")
    category = "topic"


class SpeechFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Speech
        skip_postgeneration_save = True

    text = factory.Sequence(lambda n: f"This is practice sentence number {n}.")
    level = Level.A1
    type = SentenceType.QUESTION
    audio = factory.LazyFunction(lambda: ContentFile(EMPTY_WAV, name="clip.wav"))

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.add(*extracted)
