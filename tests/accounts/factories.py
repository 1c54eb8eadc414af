import factory
from django.utils import timezone

from accounts.models import User

DEFAULT_PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"learner{n}@example.com")
    name = factory.Faker("name")
    password = factory.django.Password(DEFAULT_PASSWORD)

    class Params:
        email_verified = factory.Trait(email_verified_at=factory.LazyFunction(timezone.now))


class StaffUserFactory(UserFactory):
    email = factory.Sequence(lambda n: f"editor{n}@example.com")
    is_staff = True
