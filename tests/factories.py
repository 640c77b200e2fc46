"""factory_boy factories for the portal's models. Tests build what they need here; the
demo data in fixtures/ is for people, not for tests."""

import datetime

import factory
from django.contrib.auth import get_user_model

from submissions import models

PASSWORD = "a-Long-test-passw0rd"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.net")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Region
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"R{chr(65 + n % 26)}{chr(65 + n // 26 % 26)}")
    name = factory.LazyAttribute(lambda o: f"Region {o.code}")
    commission = factory.LazyAttribute(lambda o: f"Commission for {o.code}")


class ISCMFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ISCM
        skip_postgeneration_save = True

    acronym = factory.Sequence(lambda n: f"ISCM{n}")
    name = factory.LazyAttribute(lambda o: f"Consultation mechanism {o.acronym}")
    slug = factory.LazyAttribute(lambda o: o.acronym.lower())
    kind = models.ISCM.Kind.RCP
    secretariat_host = "A secretariat"
    year_established = 2005

    @factory.post_generation
    def regions(obj, create, extracted, **kwargs):
        if create:
            obj.regions.set(extracted if extracted is not None else [RegionFactory()])


class GCMObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.GCMObjective
        django_get_or_create = ["number"]

    number = factory.Sequence(lambda n: n % 23 + 1)
    title = factory.LazyAttribute(lambda o: f"Objective title {o.number}")
    short_title = factory.LazyAttribute(lambda o: f"Objective {o.number}")
    round_table = factory.LazyAttribute(lambda o: o.number % 4 + 1)


class OutlineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Outline

    name = factory.Sequence(lambda n: f"Outline {n}")
    slug = factory.Sequence(lambda n: f"outline-{n}")


class ReviewCycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ReviewCycle

    name = factory.Sequence(lambda n: f"Round {n}")
    slug = factory.Sequence(lambda n: f"round-{n}")
    start_year = 2028
    end_year = 2029
    outline = factory.SubFactory(OutlineFactory)


class RegionalReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.RegionalReview

    cycle = factory.SubFactory(ReviewCycleFactory)
    region = factory.SubFactory(RegionFactory)
    submission_opens = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(10))
    deadline = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(30))
    meeting_date = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(70))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Membership

    user = factory.SubFactory(UserFactory)
    iscm = factory.SubFactory(ISCMFactory)


class ReviewerAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ReviewerAssignment

    user = factory.SubFactory(UserFactory)
    region = factory.SubFactory(RegionFactory)
    role = models.ReviewerAssignment.Role.REVIEWER


class OutlineSectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.OutlineSection

    outline = factory.SubFactory(OutlineFactory)
    number = factory.Sequence(lambda n: n + 1)
    key = factory.LazyAttribute(lambda o: f"section-{o.number}")
    title = factory.LazyAttribute(lambda o: f"Section {o.number}")
    guidance = "What to write here."
    kind = models.OutlineSection.Kind.NARRATIVE
    required = True
    word_limit = 50
