"""Secretariat forms. The content form is generated from the cycle's outline, so a new
round's outline needs no code change."""

import datetime
import hashlib
import json

from django import forms
from django.http import QueryDict
from django.utils.formats import date_format
from django.utils.html import format_html
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
from .querystrings import parse_id
from .snapshots import objectives_by_round_table
from .uploads import MAX_DISPLAY_NAME_LENGTH
from .validators import MAX_INPUT_CHARACTERS, MAX_TEXT_CHARACTERS, limit_text_size

CHECKBOXES = forms.CheckboxSelectMultiple


def _valid_id(value) -> bool:
    # SQLite raises OverflowError (a 500) on an id beyond 64 bits instead of "no such
    # row", and int() reads other scripts' digits ("٣" is 3); ids are checked here, in
    # ASCII digits only, so hostile form data gets a form error.
    return bool(parse_id(str(value)))  # None (no number) or 0 (no row) is invalid


class IdChoiceField(forms.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values and not _valid_id(value):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for pk in value:
            if not _valid_id(pk):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class ReviewChoiceField(IdMultipleChoiceField):
    def label_from_instance(self, review):
        label = f"{review.region.code} — {review.region.name}"
        if review.deadline:
            label += " · " + _("deadline %(date)s") % {"date": date_format(review.deadline)}
        return label


class ISCMChoiceField(IdMultipleChoiceField):
    def label_from_instance(self, iscm):
        regions = ", ".join(region.code for region in iscm.regions.all())
        return f"{iscm.acronym} — {iscm.name} ({regions})"


class InputDetailsForm(forms.Form):
    """Who contributes, to which reviews, in which language: used to create an input
    and to change those details later (then the lead ISCM is fixed)."""

    lead_iscm = IdChoiceField(
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

    def __init__(
        self,
        *args,
        user,
        cycle,
        today: datetime.date,
        instance=None,
        can_change_participants=True,
        lead=None,
        **kwargs,
    ):
        """`lead`: when creating an input started from an earlier one, the ISCM that
        led it, which must lead the new one too (the field shows it, fixed)."""
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
            if lead is not None:
                self.fields["lead_iscm"].queryset = my_iscms.filter(pk=lead.pk)
                self.fields["lead_iscm"].disabled = True
                self.initial["lead_iscm"] = lead.pk
                self.fields["lead_iscm"].help_text = _(
                    "The ISCM that led the input this one starts from."
                )
            # Most secretariat members serve one ISCM: it is the lead, unless they
            # choose otherwise. With two or more there is no good guess, so none.
            mine = list(my_iscms.values_list("pk", flat=True)[:2])
            if len(mine) == 1:
                self.initial.setdefault("lead_iscm", mine[0])
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
        if not can_change_participants:
            # Partners and reviews decide who may read the input: the lead's to change.
            for name in ("partner_iscms", "target_reviews"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "Only the lead ISCM's secretariat can change this."
                )

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


def _objective_part_label(part: str, objective: GCMObjective):
    """The label of one of an objective's three text areas: the part, then the
    objective, which only screen readers hear (the objective's checkbox stands just
    above the fields on the page). Without it they would hear the same three labels
    23 times, with nothing to tell one objective's "Challenges" from another's."""
    objective_name = _("Objective %(number)s: %(title)s") % {
        "number": objective.number,
        "title": objective.short_title,
    }
    return format_html('{}<span class="visually-hidden"> — {}</span>', part, objective_name)


def content_field_name(section: OutlineSection) -> str:
    return f"section_{section.number}"


def objective_field_name(number: int, part: str | None = None) -> str:
    return f"objective_{number}" + (f"_{part}" if part else "")


class ContentForm(forms.Form):
    """The body of the input, generated from the outline: narrative sections as text
    areas with guidance and word limits; the objectives section as a checklist of the
    23 objectives grouped by round table, each with progress / practices / challenges;
    the principles section as checkboxes plus text; formats, priorities, challenges."""

    # The edit page's script checks both before it sends the form (data- attributes).
    max_characters = MAX_INPUT_CHARACTERS
    field_max_characters = MAX_TEXT_CHARACTERS

    version = forms.IntegerField(widget=forms.HiddenInput)
    # Digests of every field's value when the form was loaded: on a stale save they
    # tell which fields this person changed, so the others' changes can be kept.
    base = forms.CharField(widget=forms.HiddenInput, required=False)

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
                            label=_objective_part_label(label, objective),
                            validators=[limit_text_size],
                            widget=forms.Textarea(attrs={**text_attrs, "rows": 4}),
                        )
                self.groups.append((section, []))
                continue
            if section.kind == OutlineSection.Kind.PRINCIPLES:
                self.fields["principles"] = IdMultipleChoiceField(
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
                validators=[limit_text_size],
                widget=forms.Textarea(attrs=attrs),
            )
            names.append(name)
            self.groups.append((section, names))
        for name, model, label in (
            ("formats", ContributionFormat, _("Formats of contribution")),
            ("priorities", Priority, _("Priorities")),
            ("challenges", Challenge, _("Challenges met")),
        ):
            self.fields[name] = IdMultipleChoiceField(
                queryset=model.objects.all(), required=False, widget=CHECKBOXES, label=label
            )
        if not self.is_bound:
            self.initial["base"] = self.digests(self.initial)

    def mark_carried(self, fields, *, years: str):
        """Mark the fields still holding what was carried over from the input of
        `years` (`carryover.unchanged_fields`): the page says so beside each, and a
        text area names the mark as its description for screen readers."""
        for carried in fields:
            if carried.section is not None:
                name = content_field_name(carried.section)
            elif carried.objective is not None:
                name = objective_field_name(carried.objective, carried.part)
            else:
                name = carried.list_name
            if name not in self.fields:
                continue
            field = self.fields[name]
            field.carried_from = years
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["aria-describedby"] = f"id_{name}-carried"

    def content_fields(self):
        return [(n, f) for n, f in self.fields.items() if n not in ("version", "base")]

    def digests(self, values: dict) -> str:
        return json.dumps(
            {
                name: _digest(_normal(field, values.get(name)))
                for name, field in self.content_fields()
            }
        )

    def posted(self, name):
        if isinstance(self.fields[name], forms.ModelMultipleChoiceField):
            return self.data.getlist(name)
        return self.data.get(name)

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
        """The cleaned form as a ContentChanges for editing.save_content, holding only
        what the request carried: a text area missing from the POST changes nothing.
        An objective is kept when ticked or when any of its fields has text (text is
        never dropped); one shown empty and unticked is given up."""
        data = self.cleaned_data
        sections = {}
        for section in self.sections:
            name = content_field_name(section)
            if name in self.fields and name in self.data:
                sections[section.pk] = data[name]
        objectives, removed = {}, set()
        if hasattr(self, "objectives_section"):
            for objective in self.objectives:
                n = objective.number
                texts = {
                    part: data.get(objective_field_name(n, part), "")
                    for part in ObjectiveResponse.TEXT_FIELDS
                    if objective_field_name(n, part) in self.data
                }
                ticked = bool(data.get(objective_field_name(n)))
                if not texts and objective_field_name(n) not in self.data:
                    continue  # not on the page that was posted
                if ticked or any(t.strip() for t in texts.values()):
                    objectives[objective.pk] = texts
                else:
                    removed.add(objective.pk)

        def chosen(name):
            return list(data.get(name) or []) if name in self.fields else None

        return ContentChanges(
            sections=sections,
            objectives=objectives,
            removed_objectives=removed,
            principles=chosen("principles"),
            formats=chosen("formats"),
            priorities=chosen("priorities"),
            challenges=chosen("challenges"),
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


def _normal(field, value):
    """A field's value in one comparable shape, posted or saved."""
    if isinstance(field, forms.BooleanField):
        return value not in (None, False, "", "off", "false", "False", "0")
    if isinstance(field, forms.ModelMultipleChoiceField):
        return sorted(str(v) for v in (value or []))
    return (value or "").replace("\r\n", "\n")


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()[:16]


def merge_stale(form: ContentForm, current_initial: dict) -> tuple[QueryDict, dict[str, str]]:
    """Three-way merge of a stale save: the posted form, what was saved meanwhile, and
    the digests of what the form was loaded with.

    A field this person did not change takes the saved value; a field only they
    changed keeps theirs; a field both changed keeps theirs and is returned as a
    conflict with the other person's value, as text, to show beside it. The merged
    data carries the current version and new digests, so saving it again is a
    deliberate choice."""
    try:
        base = json.loads(form.data.get("base") or "{}")
    except ValueError:
        base = {}
    if not isinstance(base, dict):
        base = {}
    merged = form.data.copy()
    found = {}
    for name, field in form.content_fields():
        mine = _normal(field, form.posted(name))
        theirs = _normal(field, current_initial.get(name))
        if mine == theirs or _digest(mine) == base.get(name):
            _put(merged, name, field, theirs)
        elif _digest(theirs) != base.get(name):
            found[name] = _display(field, theirs)
    merged["version"] = str(current_initial["version"])
    merged["base"] = form.digests(current_initial)
    return merged, found


def _put(data: QueryDict, name, field, value):
    if isinstance(field, forms.ModelMultipleChoiceField):
        data.setlist(name, value)
    elif isinstance(field, forms.BooleanField):
        if value:
            data[name] = "on"
        else:
            data.pop(name, None)
    else:
        data[name] = value


def _display(field, value) -> str:
    if isinstance(field, forms.ModelMultipleChoiceField):
        items = field.queryset.filter(pk__in=value)
        return ", ".join(str(item) for item in items) or "—"
    if isinstance(field, forms.BooleanField):
        return _("ticked") if value else _("not ticked")
    return value or "—"


def _file_input(**attrs):
    """A file input whose script (static/js/form-limits.js) shortens a long file name
    before sending it: Django cannot read a form whose file name is over about 1 KB, and
    keeps MAX_DISPLAY_NAME_LENGTH characters of it anyway."""
    return forms.ClearableFileInput(
        attrs={
            "data-name-limit": MAX_DISPLAY_NAME_LENGTH,
            "data-renamed-message": gettext_lazy(
                "The file's name is too long; it will be sent as “%(name)s”."
            ),
            **attrs,
        }
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("PDF, Word (.docx), Excel (.xlsx), PNG or JPEG."),
        widget=_file_input(),
    )
    title = forms.CharField(
        label=gettext_lazy("Title (optional)"),
        max_length=255,
        required=False,
        help_text=gettext_lazy("Shown in the list of attachments; the file name by default."),
    )


class WordImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Filled-in Word template (.docx)"),
        help_text=gettext_lazy(
            "The portal's Word template of this round, or an input exported from the "
            "portal, saved as .docx. Nothing is saved before you have checked the preview."
        ),
        widget=_file_input(
            accept=".docx,application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        ),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is the input withdrawn?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("The secretariats of the lead and partner ISCMs receive it."),
        validators=[limit_text_size],
    )


def objectives_for_form():
    return GCMObjective.objects.order_by("number")
