"""The public pages' tests read the written-input world of the submissions tests
(fixtures apply only below their folder, hence the import), and share the inputs
built here: one in every state, and four that differ on every facet."""

import pytest
from django.urls import reverse

from submissions.models import ContributionFormat

from ..factories import ReviewerAssignmentFactory
from ..reviews.conftest import compiler, review_world  # noqa: F401 (fixtures)
from ..submissions.conftest import STATES, make_input, world  # noqa: F401 (fixtures)

SECRET = "zanzibarian"  # a word no other text in these tests holds


def body_of(response):
    """The body of a response, streamed or not."""
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def pages_showing_contributions(world):  # noqa: F811 (a parameter, not the fixture)
    """Every public page that lists published contributions, by a short name."""
    return {
        "list": reverse("public:contribution-list"),
        "search": reverse("public:contribution-list") + f"?q={SECRET}",
        "objective": reverse("public:objective-detail", args=[world.objectives[0].number]),
        "iscm": reverse("public:iscm-detail", args=[world.lead.slug]),
        "region": reverse("public:region-detail", args=["AMR"]),
        "json": reverse("public:open-data-json"),
        "csv": reverse("public:open-data-csv"),
        "feed": reverse("public:feed"),
        "sitemap": reverse("public:sitemap"),
    }


@pytest.fixture
def every_state(world, make_input):  # noqa: F811 (the fixtures imported above)
    """One input in each state, all holding SECRET in title and text."""
    return {
        state: make_input(f"{state.title()} {SECRET} input", state, intro=f"The {SECRET} text.")
        for state in STATES
    }


@pytest.fixture
def varied(world, make_input):  # noqa: F811
    """Four published inputs that differ on every facet. PART (region EUR) leads the two
    inputs to the EUR review alone; the reviewer reviews both regions."""
    ReviewerAssignmentFactory(region=world.regions.eur, user=world.reviewer)
    o1, o2, o3 = world.objectives
    events = ContributionFormat.objects.get(slug="events")
    a, f = world.principles
    return {
        "amr_direct": make_input(
            "Direct to AMR", objectives={o1: "Data."}, principles=[a], formats=[events]
        ),
        "joint_both": make_input(
            "Joint to AMR and EUR",
            partners=[world.partner],
            targets=[world.reviews.amr, world.reviews.eur],
            objectives={o1: "Data.", o2: "Drivers."},
            principles=[a, f],
        ),
        "eur_fr": make_input(
            "Contribution française",
            lead=world.partner,
            language="fr",
            targets=[world.reviews.eur],
            objectives={o2: "Moteurs."},
        ),
        "eur_es": make_input(
            "Contribución española",
            language="es",
            lead=world.partner,
            partners=[world.lead],
            targets=[world.reviews.eur],
            objectives={o3: "Información."},
            formats=[events],
        ),
    }
