"""Seed a regional review with N accepted inputs of realistic size, for benchmarks.

Each input has about 1,600 words across its sections and objectives, in one of several
languages, and an accepted version 1. Needs the reference data; refuses with DEBUG off
unless --force, because it creates accounts and content that are not real.
"""

import itertools

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from submissions.models import (
    ISCM,
    GCMObjective,
    InputVersion,
    Membership,
    ObjectiveResponse,
    RegionalReview,
    ReviewCycle,
    SectionResponse,
    Status,
    WrittenInput,
)
from submissions.snapshots import content_queryset, take_snapshot

TEXTS = {
    "en": "Member States reported progress on regular pathways, fair recruitment and the "
    "protection of migrants in vulnerable situations, and agreed to exchange data.",
    "fr": "Les États membres ont fait état de progrès sur les voies régulières, le recrutement "
    "équitable et la protection des migrants en situation de vulnérabilité.",
    "es": "Los Estados miembros informaron avances en las vías regulares, la contratación "
    "equitativa y la protección de los migrantes en situación de vulnerabilidad.",
    "ru": "Государства-члены сообщили о прогрессе в области регулярных путей миграции, "
    "справедливого найма и защиты мигрантов в уязвимом положении.",
    "ar": "أفادت الدول الأعضاء بإحراز تقدم في مسارات الهجرة النظامية والتوظيف العادل "
    "وحماية المهاجرين في أوضاع هشة.",
    "zh": "成员国报告了在正规移民渠道、公平招聘以及保护处境脆弱的移民方面取得的进展。",
}


def _paragraphs(language: str, words: int) -> str:
    sentence = TEXTS[language]
    per_sentence = max(1, len(sentence.split())) if language != "zh" else 30
    sentences = max(1, words // per_sentence)
    paragraphs = [" ".join([sentence] * 4) for _ in range(max(1, sentences // 4))]
    return "\n\n".join(paragraphs)


class Command(BaseCommand):
    help = "Seed a regional review with N accepted inputs of about 1,600 words (benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--cycle", default=None, help="cycle slug (default: current)")
        parser.add_argument("--region", default="ECLAC")
        parser.add_argument("--inputs", type=int, default=60)
        parser.add_argument("--force", action="store_true", help="allow with DEBUG off")

    @transaction.atomic
    def handle(self, *args, cycle, region, inputs, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_bench creates content that is not real; use --force.")
        cycle_obj = ReviewCycle.objects.get(slug=cycle) if cycle else ReviewCycle.objects.current()
        review = RegionalReview.objects.select_related("region").get(
            cycle=cycle_obj, region__code=region
        )
        if review.deadline is None:
            today = timezone.localdate()
            review.submission_opens, review.deadline = today, today
            review.save()
        from django.contrib.auth import get_user_model

        author, _ = get_user_model().objects.get_or_create(
            email="bench@example.invalid", defaults={"full_name": "Benchmark"}
        )
        iscms = list(ISCM.objects.filter(regions=review.region)) or list(ISCM.objects.all())
        objectives = list(GCMObjective.objects.all())
        sections = list(cycle_obj.outline.sections.all())
        languages = itertools.cycle(["en", "fr", "es", "ru", "ar", "zh"])
        for n in range(inputs):
            iscm = iscms[n % len(iscms)]
            Membership.objects.get_or_create(user=author, iscm=iscm)
            language = next(languages)
            written_input = WrittenInput.objects.create(
                cycle=cycle_obj,
                lead_iscm=iscm,
                title=f"{iscm.acronym}: input {n + 1} to the {review.region.code} review",
                language=language,
                status=Status.ACCEPTED,
                publication_consent=True,
                created_by=author,
                updated_by=author,
            )
            written_input.target_reviews.set([review])
            SectionResponse.objects.bulk_create(
                SectionResponse(input=written_input, section=s, body=_paragraphs(language, 220))
                for s in sections
                if s.kind != "objectives"
            )
            chosen = objectives[n % 20 : n % 20 + 4]
            ObjectiveResponse.objects.bulk_create(
                ObjectiveResponse(
                    input=written_input,
                    objective=o,
                    progress=_paragraphs(language, 60),
                    practices=_paragraphs(language, 30),
                    challenges=_paragraphs(language, 30),
                )
                for o in chosen
            )
            InputVersion.objects.create(
                input=written_input,
                number=1,
                snapshot=take_snapshot(content_queryset().get(pk=written_input.pk)),
                created_by=author,
            )
        self.stdout.write(f"Seeded {inputs} accepted inputs for the {review} review.")
