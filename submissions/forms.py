"""Secretariat forms. The content form is generated from the cycle's outline, so a new
round's outline needs no code change."""

import datetime

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .editing import ContentChanges
from .models import (
    ISCM,
    Challenge,
    ContentLanguage,
    ContributionFormat,
    GCMObjective,
    GuidingPrinciple,
    ObjectiveResponse,
    OutlineSection,
    Priority,
    RegionalReview,
    WrittenInput,
)
from .snapshots import objectives_by_round_table

CHECKBOXES = forms.CheckboxSelectMultiple


class ReviewChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, review):
        label = f"{review.region.code} — {review.region.name}"
        if review.deadline:
            label += " · " + _("deadline %(date)s") % {"date": date_format(review.deadline)}
        return label


class ISCMChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, iscm):
        regions = ", ".join(region.code for region in iscm.regions.all())
        return f"{iscm.acronym} — {iscm.name} ({regions})"


class InputDetailsForm(forms.Form):
    """Who contributes, to which reviews, in which language: used to create an input
    and to change those details later (then the lead ISCM is fixed)."""

    lead_iscm = forms.ModelChoiceField(
        queryset=ISCM.objects.none(),
        label=gettext_lazy("Lead ISCM"),
        help_text=gettext_lazy("The ISCM whose secretariat submits the input."),
    )
    partner_iscms = ISCMChoiceField(
        queryset=ISCM.objects.none(),
        required=False,
        widget=CHECKBOXES,
        label=gettext_lazy("Partner ISCMs (optional: makes it a joint input)"),
        help_text=gettext_lazy(
            "Their secretariats can read and edit the input; only the lead submits it."
        ),
    )
    target_reviews = ReviewChoiceField(
        queryset=RegionalReview.objects.none(),
        widget=CHECKBOXES,
        label=gettext_lazy("Regional reviews this input goes to"),
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=255)
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the content"), choices=ContentLanguage.choices
    )
    basis = forms.ChoiceField(label=gettext_lazy("Basis"), choices=WrittenInput.Basis.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, cycle, today: datetime.date, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = instance
        my_iscms = ISCM.objects.filter(memberships__user=user).prefetch_related("regions")
        offered = RegionalReview.objects.filter(cycle=cycle).open_on(today)
        if instance is not None:
            # A review already chosen stays on offer even if it has closed since.
            offered = offered | RegionalReview.objects.filter(inputs=instance)
            self.fields["lead_iscm"].required = False
            self.fields["lead_iscm"].disabled = True
            self.fields["lead_iscm"].queryset = ISCM.objects.filter(pk=instance.lead_iscm_id)
        else:
            self.fields["lead_iscm"].queryset = my_iscms
            del self.fields["version"]
        self.fields["partner_iscms"].queryset = ISCM.objects.prefetch_related("regions")
        self.fields["target_reviews"].queryset = (
            offered.distinct().select_related("region").order_by("region__code")
        )
        self.fields["target_reviews"].help_text = _(
            "Only the reviews of %(cycle)s that take inputs today are offered, and a review "
            "can be chosen only when its region is covered by the lead ISCM or a partner "
            "(an ISCM covers the regions of its member States)."
        ) % {"cycle": cycle.name}
        self.no_open_reviews = not self.fields["target_reviews"].queryset.exists()

    def clean(self):
        cleaned = super().clean()
        lead = self.instance.lead_iscm if self.instance else cleaned.get("lead_iscm")
        partners = list(cleaned.get("partner_iscms") or [])
        if lead and lead in partners:
            self.add_error(
                "partner_iscms",
                _("%(iscm)s leads the input; it cannot also be a partner.") % {"iscm": lead},
            )
        reviews = cleaned.get("target_reviews") or []
        if lead and reviews:
            participating = [lead, *partners]
            covered = {r.pk for iscm in participating for r in iscm.regions.all()}
            names = ", ".join(i.acronym for i in participating)
            for review in reviews:
                if review.region_id not in covered:
                    self.add_error(
                        "target_reviews",
                        _(
                            "The %(region)s review is not offered for this input: %(region)s "
                            "is not covered by %(iscms)s. Add a partner ISCM whose member "
                            "States are in %(region)s, or untick the review."
                        )
                        % {"region": review.region.code, "iscms": names},
                    )
        return cleaned


def content_field_name(section: OutlineSection) -> str:
    return f"section_{section.number}"


def objective_field_name(number: int, part: str | None = None) -> str:
    return f"objective_{number}" + (f"_{part}" if part else "")


class ContentForm(forms.Form):
    """The body of the input, generated from the outline: narrative sections as text
    areas with guidance and word limits; the objectives section as a checklist of the
    23 objectives grouped by round table, each with progress / practices / challenges;
    the principles section as checkboxes plus text; formats, priorities, challenges."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, written_input: WrittenInput, sections, objectives, **kwargs):
        super().__init__(*args, **kwargs)
        self.written_input = written_input
        self.sections = list(sections)
        self.objectives = list(objectives)
        text_attrs = {"lang": written_input.language, "dir": written_input.direction, "rows": 8}
        self.groups = []  # (section, [field names]) in outline order, for the template
        for section in self.sections:
            names = []
            if section.kind == OutlineSection.Kind.OBJECTIVES:
                self.objectives_section = section
                for objective in self.objectives:
                    n = objective.number
                    self.fields[objective_field_name(n)] = forms.BooleanField(
                        required=False,
                        label=_("Objective %(number)s: %(title)s")
                        % {"number": n, "title": objective.title},
                    )
                    for part, label in (
                        ("progress", _("Progress at the regional level")),
                        ("practices", _("Practices worth sharing")),
                        ("challenges", _("Challenges")),
                    ):
                        self.fields[objective_field_name(n, part)] = forms.CharField(
                            required=False,
                            label=label,
                            widget=forms.Textarea(attrs={**text_attrs, "rows": 4}),
                        )
                self.groups.append((section, []))
                continue
            if section.kind == OutlineSection.Kind.PRINCIPLES:
                self.fields["principles"] = forms.ModelMultipleChoiceField(
                    queryset=GuidingPrinciple.objects.all(),
                    required=False,
                    widget=CHECKBOXES,
                    label=_("Guiding principles reflected in the ISCM's work"),
                )
                names.append("principles")
            attrs = dict(text_attrs)
            if section.word_limit:
                attrs["data-word-limit"] = section.word_limit
            name = content_field_name(section)
            # The section heading and its guidance stand above the field on the page;
            # the label names the field without repeating the heading.
            self.fields[name] = forms.CharField(
                required=False,
                label=_("Text of section %(number)s") % {"number": section.number},
                widget=forms.Textarea(attrs=attrs),
            )
            names.append(name)
            self.groups.append((section, names))
        for name, model, label in (
            ("formats", ContributionFormat, _("Formats of contribution")),
            ("priorities", Priority, _("Priorities")),
            ("challenges", Challenge, _("Challenges met")),
        ):
            self.fields[name] = forms.ModelMultipleChoiceField(
                queryset=model.objects.all(), required=False, widget=CHECKBOXES, label=label
            )

    def objective_rows(self):
        """[(round table, [(objective, checkbox, [text fields])])] for the template."""
        rows = {
            o.number: (o, self[objective_field_name(o.number)], self._objective_parts(o.number))
            for o in self.objectives
        }
        grouped = objectives_by_round_table(
            [{"number": o.number, "round_table": o.round_table} for o in self.objectives]
        )
        return [(table, [rows[item["number"]] for item in items]) for table, items in grouped]

    def _objective_parts(self, number):
        return [self[objective_field_name(number, part)] for part in ObjectiveResponse.TEXT_FIELDS]

    def changes(self) -> ContentChanges:
        """The cleaned form as a ContentChanges for editing.save_content. An objective
        is kept when ticked or when any of its fields has text (text is never dropped)."""
        data = self.cleaned_data
        sections = {
            section.pk: data[content_field_name(section)]
            for section in self.sections
            if content_field_name(section) in data
        }
        objectives = {}
        for objective in self.objectives:
            n = objective.number
            texts = {
                part: data.get(objective_field_name(n, part), "")
                for part in ObjectiveResponse.TEXT_FIELDS
            }
            if data.get(objective_field_name(n)) or any(t.strip() for t in texts.values()):
                objectives[objective.pk] = texts
        return ContentChanges(
            sections=sections,
            objectives=objectives,
            principles=list(data.get("principles") or []),
            formats=list(data.get("formats") or []),
            priorities=list(data.get("priorities") or []),
            challenges=list(data.get("challenges") or []),
        )


def content_initial(written_input: WrittenInput, sections) -> dict:
    """The content form's initial values from the saved input (prefetched)."""
    initial = {"version": written_input.version}
    bodies = {r.section_id: r.body for r in written_input.section_responses.all()}
    for section in sections:
        initial[content_field_name(section)] = bodies.get(section.pk, "")
    for response in written_input.objective_responses.all():
        n = response.objective.number
        initial[objective_field_name(n)] = True
        for part in ObjectiveResponse.TEXT_FIELDS:
            initial[objective_field_name(n, part)] = getattr(response, part)
    for name in ("principles", "formats", "priorities", "challenges"):
        initial[name] = [item.pk for item in getattr(written_input, name).all()]
    return initial


def conflicts(form: forms.Form, current_initial: dict) -> dict[str, str]:
    """Fields where what the person typed differs from what is saved now: the other
    person's value, as text, to show beside the field."""
    found = {}
    for name, field in form.fields.items():
        if name == "version" or name not in form.cleaned_data:
            continue
        typed = form.cleaned_data[name]
        saved = current_initial.get(name, "")
        if isinstance(field, forms.ModelMultipleChoiceField):
            saved_items = [item for item in field.queryset if item.pk in set(saved or [])]
            if {item.pk for item in typed} != {item.pk for item in saved_items}:
                found[name] = ", ".join(str(item) for item in saved_items) or "—"
        elif isinstance(field, forms.BooleanField):
            if bool(typed) != bool(saved):
                found[name] = _("ticked") if saved else _("not ticked")
        elif (typed or "") != (saved or ""):
            found[name] = saved or "—"
    return found


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("PDF, Word (.docx), Excel (.xlsx), PNG or JPEG."),
    )
    title = forms.CharField(
        label=gettext_lazy("Title (optional)"),
        max_length=255,
        required=False,
        help_text=gettext_lazy("Shown in the list of attachments; the file name by default."),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is the input withdrawn?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("The secretariats of the lead and partner ISCMs receive it."),
    )


def objectives_for_form():
    return GCMObjective.objects.order_by("number")
