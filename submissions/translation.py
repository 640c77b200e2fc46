"""Which reference-data fields exist in the six UN languages (django-modeltranslation).

Each field listed here gets one column per language (`title_en`, `title_fr`, …,
`title_zh_hans`); reading `objective.title` gives the active language's text, or the
English one when that language has none (MODELTRANSLATION_FALLBACK_LANGUAGES). Pages
that must say when they fell back use `submissions.languages.label` (the
`{{ obj|label:"title" }}` filter), which marks the English text with `lang="en"`.
Why modeltranslation rather than django-parler: docs/architecture.md, "Languages".
"""

from modeltranslation.translator import TranslationOptions, register

from .models import (
    ISCM,
    Challenge,
    ContributionFormat,
    GCMObjective,
    GuidingPrinciple,
    Outline,
    OutlineSection,
    Priority,
    Region,
    ReviewCycle,
)


@register(Region)
class RegionOptions(TranslationOptions):
    fields = ("name", "commission")


@register(ISCM)
class ISCMOptions(TranslationOptions):
    # The official name in a language where the ISCM has one; otherwise English.
    fields = ("name",)


@register(GCMObjective)
class ObjectiveOptions(TranslationOptions):
    fields = ("title", "short_title")


@register(GuidingPrinciple)
class PrincipleOptions(TranslationOptions):
    fields = ("title",)


@register([ContributionFormat, Priority, Challenge])
class ChoiceListOptions(TranslationOptions):
    fields = ("name",)


@register(Outline)
class OutlineOptions(TranslationOptions):
    fields = ("name", "description")


@register(OutlineSection)
class OutlineSectionOptions(TranslationOptions):
    fields = ("title", "guidance")


@register(ReviewCycle)
class ReviewCycleOptions(TranslationOptions):
    fields = ("name",)
