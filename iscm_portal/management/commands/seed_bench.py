"""Seed a regional review with N accepted inputs of realistic size, for benchmarks.

Each input has about 1,600 words across its sections and objectives, in one of several
languages, and an accepted version 1. Needs the reference data; refuses with DEBUG off
unless --force, because it creates accounts and content that are not real.

With --publish the inputs end published instead (publication dates spread over the last
400 days, version 1 public), with 1–3 target reviews across the regions (--region first),
a partner ISCM on every 4th input, 2 guiding principles, 1–2 contribution formats and,
in the first section, the token `marker{n % 100}` (so a search for `marker17` finds ~1 %
of them); their search index is built at the end. That path writes in bulk (a few
minutes for 20,000 on PostgreSQL): the version snapshots are assembled from one real
`take_snapshot` per language and checked against `take_snapshot` on a sample.
"""

import datetime
import itertools
import json
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from submissions import search, tallies
from submissions.models import (
    ISCM,
    ContributionFormat,
    Decision,
    GCMObjective,
    GuidingPrinciple,
    InputVersion,
    Membership,
    ObjectiveResponse,
    RegionalReview,
    ReviewCycle,
    SectionResponse,
    Status,
    WrittenInput,
)
from submissions.snapshots import (
    content_queryset,
    iscm_entry,
    name_entry,
    objective_entry,
    principle_entry,
    take_snapshot,
    target_entry,
)

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
LANGUAGES = ["en", "fr", "es", "ru", "ar", "zh"]
BATCH = 500  # published inputs written per round of bulk inserts
ACCEPTED_AT_1 = {"decision": Decision.ACCEPTED, "decided_version": 1}
PUBLISHED_SPREAD = datetime.timedelta(days=400)


def _paragraphs(language: str, words: int) -> str:
    sentence = TEXTS[language]
    per_sentence = max(1, len(sentence.split())) if language != "zh" else 30
    sentences = max(1, words // per_sentence)
    paragraphs = [" ".join([sentence] * 4) for _ in range(max(1, sentences // 4))]
    return "\n\n".join(paragraphs)


def _marked(body: str, n: int) -> str:
    """`body` with input n's distinctive search token in its last paragraph."""
    return f"{body} marker{n % 100}"


class Command(BaseCommand):
    help = "Seed a regional review with N accepted inputs of about 1,600 words (benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--cycle", default=None, help="cycle slug (default: current)")
        parser.add_argument("--region", default="ECLAC")
        parser.add_argument("--inputs", type=int, default=60)
        parser.add_argument("--force", action="store_true", help="allow with DEBUG off")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="end published (several regions, partners, principles, formats, "
            "search tokens), written in bulk, then build the search index",
        )

    @transaction.atomic
    def handle(self, *args, cycle, region, inputs, force, publish, **options):
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
        author, _ = get_user_model().objects.get_or_create(
            email="bench@example.invalid", defaults={"full_name": "Benchmark"}
        )
        iscms = list(ISCM.objects.filter(regions=review.region)) or list(ISCM.objects.all())
        objectives = list(GCMObjective.objects.all())
        sections = list(cycle_obj.outline.sections.all())
        if publish:
            self._seed_published(cycle_obj, review, author, iscms, objectives, sections, inputs)
            return
        languages = itertools.cycle(LANGUAGES)
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
            # Accepted by its review at version 1: what that review's package includes.
            written_input.target_reviews.set([review], through_defaults=ACCEPTED_AT_1)
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
        tallies.rebuild([review.pk])  # rows written in bulk, past the workflow
        self.stdout.write(f"Seeded {inputs} accepted inputs for the {review} review.")

    # --- --publish: the same content, published, written in bulk ---------------------

    def _seed_published(self, cycle_obj, review, author, iscms, objectives, sections, inputs):
        started = time.perf_counter()
        others = list(
            RegionalReview.objects.filter(cycle=cycle_obj)
            .exclude(pk=review.pk)
            .select_related("region")
            .order_by("region__code")
        )
        all_iscms = list(ISCM.objects.all())
        principles = list(GuidingPrinciple.objects.all())
        formats = list(ContributionFormat.objects.all())
        narrative = [s for s in sections if s.kind != "objectives"]
        first_section = narrative[0]
        body = {lang: _paragraphs(lang, 220) for lang in LANGUAGES}
        objective_texts = {
            lang: (_paragraphs(lang, 60), _paragraphs(lang, 30), _paragraphs(lang, 30))
            for lang in LANGUAGES
        }
        for iscm in {iscms[n % len(iscms)] for n in range(min(inputs, len(iscms)))}:
            Membership.objects.get_or_create(user=author, iscm=iscm)
        midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        spread = int(PUBLISHED_SPREAD.total_seconds())

        def plan(n):
            """What input n is made of; deterministic in n."""
            lead = iscms[n % len(iscms)]
            partners = []
            if n % 4 == 3:
                pool = [i for i in all_iscms if i != lead]
                partners = [pool[(n // 4) % len(pool)]] if pool else []
            extra = min(n % 3, len(others))
            return {
                "n": n,
                "lead": lead,
                "title": f"{lead.acronym}: input {n + 1} to the {review.region.code} review",
                "language": LANGUAGES[n % len(LANGUAGES)],
                "partners": partners,
                "targets": [review, *(others[(n + k) % len(others)] for k in range(extra))],
                "objectives": objectives[n % 20 : n % 20 + 4],
                "principles": sorted(
                    {principles[n % len(principles)], principles[(n + 3) % len(principles)]},
                    key=lambda p: p.letter,
                ),
                "formats": sorted(
                    {formats[n % len(formats)], formats[(n + 4 * (n % 2)) % len(formats)]},
                    key=lambda f: (f.position, f.name),
                ),
                # 104,729 is prime to the spread in seconds: every input its own moment.
                "published_at": midnight - datetime.timedelta(seconds=(n * 104_729) % spread),
            }

        templates = {}  # language → a real take_snapshot of one seeded input
        new_ids = []
        for start in range(0, inputs, BATCH):
            plans = [plan(n) for n in range(start, min(inputs, start + BATCH))]
            batch = self._write_batch(
                plans, cycle_obj, review, author, narrative, first_section, body, objective_texts
            )
            new_ids.extend(w.pk for w in batch)
            one_per_language = {p["language"]: w for p, w in zip(plans, batch, strict=True)}
            for language, written_input in one_per_language.items():
                if language not in templates:
                    loaded = content_queryset().get(pk=written_input.pk)
                    templates[language] = take_snapshot(loaded)
            InputVersion.objects.bulk_create(
                (
                    InputVersion(
                        input=w,
                        number=1,
                        snapshot=self._snapshot(
                            templates[p["language"]],
                            w,
                            p,
                            {first_section.number: _marked(body[p["language"]], p["n"])},
                        ),
                        created_by=author,
                    )
                    for p, w in zip(plans, batch, strict=True)
                ),
                batch_size=BATCH,
            )
        self._check_snapshots(new_ids)
        seeded = time.perf_counter() - started
        self.stdout.write(
            f"Seeded {inputs} published inputs (the {review} and "
            f"{len(others)} other reviews) in {seeded:.1f} s."
        )
        started = time.perf_counter()
        tallies.count_everything_again()
        self.stdout.write(
            f"Dashboard numbers counted again in {time.perf_counter() - started:.1f} s."
        )
        started = time.perf_counter()
        done = search.reindex(WrittenInput.objects.filter(pk__in=new_ids))
        self.stdout.write(
            f"Search index built for {done} inputs in {time.perf_counter() - started:.1f} s."
        )

    def _write_batch(
        self, plans, cycle_obj, review, author, narrative, first_section, body, objective_texts
    ):
        batch = []
        for p in plans:
            written_input = WrittenInput(
                cycle=cycle_obj,
                lead_iscm=p["lead"],
                title=p["title"],
                language=p["language"],
                status=Status.PUBLISHED,
                publication_consent=True,
                published_at=p["published_at"],
                published_version=1,
                created_by=author,
                updated_by=author,
            )
            written_input.slug = written_input._new_slug()  # bulk_create skips save()
            batch.append(written_input)
        WrittenInput.objects.bulk_create(batch, batch_size=BATCH)
        pairs = list(zip(plans, batch, strict=True))
        SectionResponse.objects.bulk_create(
            (
                SectionResponse(
                    input=w,
                    section=s,
                    body=_marked(body[p["language"]], p["n"])
                    if s == first_section
                    else body[p["language"]],
                )
                for p, w in pairs
                for s in narrative
            ),
            batch_size=2000,
        )
        ObjectiveResponse.objects.bulk_create(
            (
                ObjectiveResponse(
                    input=w,
                    objective=o,
                    progress=objective_texts[p["language"]][0],
                    practices=objective_texts[p["language"]][1],
                    challenges=objective_texts[p["language"]][2],
                )
                for p, w in pairs
                for o in p["objectives"]
            ),
            batch_size=2000,
        )
        links = {
            "target_reviews": ("targets", "regionalreview"),
            "partner_iscms": ("partners", "iscm"),
            "principles": ("principles", "guidingprinciple"),
            "formats": ("formats", "contributionformat"),
        }
        for relation, (key, column) in links.items():
            through = getattr(WrittenInput, relation).through
            # Every review a published input targets accepted it (at version 1).
            extra = ACCEPTED_AT_1 if relation == "target_reviews" else {}
            through.objects.bulk_create(
                (
                    through(writteninput=w, **{column: item}, **extra)
                    for p, w in pairs
                    for item in p[key]
                ),
                batch_size=5000,
            )
        return batch

    @staticmethod
    def _snapshot(template, written_input, p, own_bodies) -> dict:
        """What `take_snapshot` returns for this input, from the template of its
        language: only what differs between inputs is rebuilt (`own_bodies`: section
        number → the text only this input has)."""
        sections = [
            {**entry, "body": own_bodies[entry["number"]]}
            if entry["number"] in own_bodies
            else entry
            for entry in template["sections"]
        ]
        objective_text = template["objectives"][0]
        return {
            **template,
            "title": written_input.title,
            "lead": iscm_entry(p["lead"]),
            "partners": [iscm_entry(i) for i in sorted(p["partners"], key=lambda i: i.acronym)],
            "targets": [
                target_entry(r) for r in sorted(p["targets"], key=lambda r: r.region.code)
            ],
            "sections": sections,
            "objectives": [objective_entry(o, objective_text) for o in p["objectives"]],
            "principles": [principle_entry(x) for x in p["principles"]],
            "formats": [name_entry(f)["name"] for f in p["formats"]],
            "format_entries": [name_entry(f) for f in p["formats"]],
        }

    @staticmethod
    def _check_snapshots(ids) -> None:
        """The assembled snapshots must equal `take_snapshot`: compare a sample (every
        language, joint or not, one to three targets)."""
        sample = ids[:12] + ids[-12:]
        for written_input in content_queryset().filter(pk__in=sample):
            expected = json.loads(json.dumps(take_snapshot(written_input), cls=DjangoJSONEncoder))
            stored = written_input.versions.get(number=1).snapshot
            if stored != expected:
                keys = sorted(
                    k for k in expected.keys() | stored.keys() if stored.get(k) != expected.get(k)
                )
                raise CommandError(
                    f"Seeded snapshot of input {written_input.pk} differs from take_snapshot "
                    f"in {', '.join(keys)}: update seed_bench to the snapshot's shape."
                )
