"""submissions.reversing.path_maker: the same paths as `reverse()`, one per object."""

import pytest
from django.urls import reverse

from submissions.reversing import path_maker


@pytest.mark.parametrize(
    ("viewname", "values"),
    [
        ("public:contribution-detail", ["a-slug", "rcm-2028-objective-9", "x_1"]),
        ("reviews:input", [1, 42, 987654321987654320]),
        ("public:iscm-detail", ["rcm", "mirps"]),
    ],
)
def test_every_path_is_the_one_reverse_gives(viewname, values):
    page = path_maker(viewname)
    assert [page(v) for v in values] == [reverse(viewname, args=[v]) for v in values]


def test_a_view_without_one_argument_is_refused():
    with pytest.raises(ValueError, match="no single slug or id"):
        path_maker("public:contribution-list")
