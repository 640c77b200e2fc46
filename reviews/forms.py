from django import forms
from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from submissions.models import RegionalReview, ReviewEvent
from submissions.validators import limit_text_size


class CommentForm(forms.Form):
    """A comment anchored to a part of the version on screen."""

    anchor = forms.ChoiceField(label=_("About"))
    body = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[limit_text_size],
    )
    visibility = forms.ChoiceField(
        label=_("Who sees it"),
        choices=[
            (ReviewEvent.Visibility.SECRETARIAT, _("The secretariat, sent with your decision")),
            (ReviewEvent.Visibility.INTERNAL, _("IOM staff only (internal note)")),
        ],
        widget=forms.RadioSelect,
        initial=ReviewEvent.Visibility.SECRETARIAT,
    )

    def __init__(self, *args, snapshot: dict, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("general", _("The input as a whole"))]
        for section in snapshot["sections"]:
            choices.append(
                (f"section-{section['number']}", f"{section['number']}. {section['title']}")
            )
        for objective in snapshot["objectives"]:
            choices.append(
                (
                    f"objective-{objective['number']}",
                    _("Objective %(number)s") % {"number": objective["number"]}
                    + f": {objective['short_title']}",
                )
            )
        self.fields["anchor"].choices = choices


class DecisionForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the secretariat"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        validators=[limit_text_size],
    )
    # The input's edit version when the page was shown: a decision on anything newer
    # (e.g. a resubmission since) is refused rather than applied unread.
    version = forms.IntegerField(widget=forms.HiddenInput)
    reviews = forms.ModelMultipleChoiceField(
        label=_("For the regional reviews"),
        queryset=RegionalReview.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each regional review decides for itself; you review more than one."),
    )

    def __init__(self, *args, message: str | None, message_label=None, reviews=(), **kwargs):
        """`message`: "required", "optional", or None for a decision without one.
        `reviews`: the reviews the person may decide for; a choice only when several."""
        super().__init__(*args, **kwargs)
        if len(reviews) > 1:
            self.fields["reviews"].queryset = RegionalReview.objects.filter(
                pk__in=[r.pk for r in reviews]
            ).select_related("region")
            self.fields["reviews"].label_from_instance = lambda r: (
                f"{r.region.code} — {r.region.name}"
            )
            self.initial.setdefault("reviews", [r.pk for r in reviews])
        else:
            del self.fields["reviews"]
        if message is None:
            del self.fields["message"]
        else:
            self.fields["message"].required = message == "required"
            if message_label:
                self.fields["message"].label = message_label


class ExtensionForm(forms.Form):
    until = forms.DateField(
        label=_("New deadline for this input"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(
        label=_("Reason (shown to the secretariat)"),
        required=False,
        validators=[limit_text_size],
    )


def language_choices() -> list[tuple[str, str]]:
    """The six languages, named in the page's language and, beside it, in their own
    ("Arabic (العربية)" on an English page), as UN sites offer them."""
    choices = []
    for code, name in settings.LANGUAGES:
        name, local = str(name), capfirst(get_language_info(code)["name_local"])
        choices.append((code, name if name == local else f"{name} ({local})"))
    return choices


class PackageLanguageForm(forms.Form):
    """The language a package is compiled in (empty: the regional review's)."""

    language = forms.ChoiceField(
        label=_("Language of the package"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args, described_by: str | None = None, **kwargs):
        """`described_by`: the id of the page's sentence that says what compiling does."""
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = language_choices()
        if described_by:
            self.fields["language"].widget.attrs["aria-describedby"] = described_by
