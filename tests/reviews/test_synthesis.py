"""The synthesis draft of a regional review (reviews/synthesis.py, synthesis_docx.py,
synthesis_pdf.py, synthesis_drafts.py): the .docx and PDF built in the background cite
every accepted input at its accepted version, per round table and objective, each
excerpt in its own language; declined inputs, inputs still under review and another
region's acceptances are never quoted; what the build costs in queries."""

import io
from types import SimpleNamespace

import docx
import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from pypdf import PdfReader

from reviews import synthesis_drafts
from reviews.models import SynthesisDraft
from reviews.packages import accepted_versions
from reviews.synthesis import citation_text, gather_synthesis
from reviews.synthesis_docx import synthesis_document
from reviews.synthesis_pdf import build_draft, synthesis_context, synthesis_pdf
from submissions import editing, workflow
from submissions.roles import sync_role_groups
from submissions.word.common import w

from ..factories import ISCMFactory, MembershipFactory, ReviewerAssignmentFactory

pytestmark = pytest.mark.django_db

ARABIC = "توسعت مسارات الهجرة النظامية في المنطقة للمرة الأولى"
CHINESE = "该地区的正规移民渠道有所扩大"


def make_accepted(world, title, *, lead=None, language="en", objectives, partners=(), **kw):
    """An input of `lead` (LEAD by default) to the AMR review, filled with
    `objectives` ({objective: (progress, practices, challenges)}), submitted and
    decided: accepted unless `state` says "declined" or "submitted"; with `rounds` > 1
    changes are requested and it is resubmitted first (accepted at that version)."""
    lead = lead or world.lead
    by = world.lead_user if lead == world.lead else world.partner_user
    written_input = editing.create_input(
        by=by,
        cycle=world.cycle,
        lead_iscm=lead,
        partners=list(partners),
        targets=kw.get("targets") or [world.reviews.amr],
        title=title,
        language=language,
        basis="written_input",
    )

    def fill(intro):
        written_input.refresh_from_db()
        editing.save_content(
            written_input,
            editing.ContentChanges(
                sections={world.sections.intro.pk: intro},
                objectives={
                    o.pk: dict(zip(("progress", "practices", "challenges"), texts, strict=True))
                    for o, texts in objectives.items()
                },
            ),
            by=by,
            expected_version=written_input.version,
        )

    fill(kw.get("intro", f"How {title} was prepared."))
    today = timezone.localdate()
    workflow.submit_input(written_input, by=by, today=today)
    for _round in range(kw.get("rounds", 1) - 1):
        workflow.request_changes(written_input, by=world.reviewer, message="More.")
        fill(kw.get("intro", f"How {title} was prepared, again."))
        workflow.resubmit_input(written_input, by=by, today=today)
    state = kw.get("state", "accepted")
    if state == "declined":
        workflow.decline_input(written_input, by=world.reviewer, reason="Off topic.")
    elif state == "accepted":
        workflow.accept_input(written_input, by=kw.get("reviewer", world.reviewer))
    written_input.refresh_from_db()
    return written_input


def other_iscm(world, acronym):
    iscm = ISCMFactory(acronym=acronym, regions=[world.regions.amr])
    MembershipFactory(user=world.partner_user, iscm=iscm)
    return iscm


@pytest.fixture
def drafted(world):
    """AMR: a joint English input (LEAD with PART, accepted at version 2), an Arabic
    and a Chinese one accepted; one declined, one still submitted, and one that only
    EUR accepted (never quoted)."""
    o1, o2, o3 = world.objectives
    accepted = {
        "joint": make_accepted(
            world,
            "Joint work",
            partners=[world.partner],
            objectives={o1: ("Joint progress.", "A shared hotline.", ""), o2: ("Data.", "", "")},
            rounds=2,
        ),
        "arabic": make_accepted(
            world,
            "مساهمة المسار العربي",
            lead=other_iscm(world, "ARCP"),
            language="ar",
            objectives={o1: (ARABIC, "", "")},
            intro=ARABIC,
        ),
        "chinese": make_accepted(
            world,
            "巴厘进程的意见",
            lead=other_iscm(world, "BALI"),
            language="zh",
            objectives={o3: ("进展良好。", "", CHINESE)},
        ),
    }
    eur_reviewer = synthesis_world_reviewer(world)
    hidden = {
        "declined": make_accepted(
            world,
            "Declined text",
            lead=other_iscm(world, "DEC"),
            objectives={o1: ("Declined words.", "", "")},
            state="declined",
        ),
        "submitted": make_accepted(
            world,
            "Waiting text",
            lead=other_iscm(world, "SUB"),
            objectives={o2: ("Waiting words.", "", "")},
            state="submitted",
        ),
        "elsewhere": make_accepted(
            world,
            "Europe only",
            lead=world.partner,
            targets=[world.reviews.eur],
            objectives={o2: ("European words.", "", "")},
            reviewer=eur_reviewer,
        ),
    }
    return SimpleNamespace(world=world, accepted=accepted, hidden=hidden)


def synthesis_world_reviewer(world):
    user = ReviewerAssignmentFactory(region=world.regions.eur).user
    sync_role_groups(user)
    return user


def build(review, *, language="en", by=None, capture):
    """Ask for a draft and run its task (django-tasks' immediate backend in tests)."""
    with capture(execute=True):
        draft, created = synthesis_drafts.request_draft(review, language=language, by=by)
    assert created
    draft.refresh_from_db()
    assert draft.status == SynthesisDraft.Status.DONE, draft.error
    return draft


def read(field) -> bytes:
    with field.open("rb") as stored:
        return stored.read()


def open_docx(draft):
    return docx.Document(io.BytesIO(read(draft.docx)))


def all_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_the_docx_opens_and_cites_every_accepted_input(
    drafted, django_capture_on_commit_callbacks
):
    world = drafted.world
    draft = build(world.reviews.amr, capture=django_capture_on_commit_callbacks)
    document = open_docx(draft)
    headings = [
        (p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")
    ]
    round_tables = [text for style, text in headings if style == "Heading 1"]
    objectives = [text for style, text in headings if style == "Heading 2"]
    # The test objectives 1, 2, 3 sit in round tables 2, 3 and 4.
    assert [t.split(":")[0] for t in round_tables if t.startswith("Round table")] == [
        "Round table 2",
        "Round table 3",
        "Round table 4",
    ]
    assert [t.split(":")[0] for t in objectives if t.startswith("Objective")] == [
        "Objective 1",
        "Objective 2",
        "Objective 3",
    ]
    citations = [p.text for p in document.paragraphs if p.style.name == "Synthesis Citation"]
    joint, arabic, chinese = (drafted.accepted[k] for k in ("joint", "arabic", "chinese"))
    expected = {
        "— LEAD (joint with PART), “Joint work”, objective 1, version 2",
        "— LEAD (joint with PART), “Joint work”, objective 2, version 2",
        "— LEAD (joint with PART), “Joint work”, section 1, version 2",
        f"— ARCP, “{arabic.title}”, objective 1, version 1",
        f"— ARCP, “{arabic.title}”, section 1, version 1",
        f"— BALI, “{chinese.title}”, objective 3, version 1",
        f"— BALI, “{chinese.title}”, section 1, version 1",
    }
    assert set(citations) == expected
    # Objective 1's progress: the joint input, then the Arabic one (by acronym order of
    # the annex: ARCP before LEAD), each followed by its citation.
    texts = [p.text for p in document.paragraphs]
    assert texts.index(ARABIC) + 1 == texts.index(
        f"— ARCP, “{arabic.title}”, objective 1, version 1"
    )
    assert "A shared hotline." in texts and CHINESE in texts
    # The annex: one row per accepted input, with its version.
    annex = document.tables[-1]
    rows = [[cell.text for cell in row.cells] for row in annex.rows[1:]]
    assert [(r[1], r[2], r[4]) for r in rows] == [
        ("ARCP", arabic.title, "1"),
        ("BALI", chinese.title, "1"),
        ("LEAD (joint with PART)", joint.title, "2"),
    ]
    assert [r[3] for r in rows] == ["Arabic", "Chinese", "English"]
    # Never quoted: declined, still under review, accepted by another region only.
    whole = all_text(document)
    for words in ("Declined text", "Declined words", "Waiting", "Europe only", "European"):
        assert words not in whole
    assert draft.input_versions.count() == 3
    assert document.core_properties.language == "en-GB"


def test_the_counts_of_the_dashboard_are_in_the_draft(drafted, django_capture_on_commit_callbacks):
    document = open_docx(
        build(drafted.world.reviews.amr, capture=django_capture_on_commit_callbacks)
    )
    totals = document.tables[0]
    assert [c.text for c in totals.rows[0].cells] == [
        "ISCMs expected",
        "Received",
        "Accepted",
        "Published",
    ]
    # AMR's ISCMs: LEAD, ARCP, BALI, DEC, SUB. Received: all but none; the declined
    # one's state is "declined" (received), accepted: LEAD, ARCP, BALI.
    assert [c.text for c in totals.rows[1].cells] == ["5", "5", "3", "0"]
    text = all_text(document)
    assert "Counted over 4 inputs this review received and did not decline" in text


def _run_languages(paragraph) -> list[dict]:
    found = []
    for run in paragraph._p.iter(w("r")):
        lang = run.find(f"{w('rPr')}/{w('lang')}")
        found.append({} if lang is None else {k.split("}")[1]: v for k, v in lang.attrib.items()})
    return found


def test_excerpts_carry_their_language_and_arabic_its_direction(
    drafted, django_capture_on_commit_callbacks
):
    document = open_docx(
        build(drafted.world.reviews.amr, capture=django_capture_on_commit_callbacks)
    )
    by_text = {p.text: p for p in document.paragraphs}
    arabic = by_text[ARABIC]
    assert arabic._p.find(f"{w('pPr')}/{w('bidi')}") is not None
    assert _run_languages(arabic) == [{"val": "ar-SA", "bidi": "ar-SA"}]
    assert arabic._p.find(f"{w('r')}/{w('rPr')}/{w('rtl')}") is not None
    assert _run_languages(by_text[CHINESE]) == [{"val": "zh-CN", "eastAsia": "zh-CN"}]
    english = by_text["Joint progress."]
    assert english._p.find(f"{w('pPr')}/{w('bidi')}") is None
    assert _run_languages(english) == [{"val": "en-GB"}]
    # In a citation, the Arabic title is marked Arabic, the rest English.
    citation = next(p for p in document.paragraphs if p.text.startswith("— ARCP"))
    languages = [lang["val"] for lang in _run_languages(citation)]
    assert languages == ["en-GB", "en-GB", "ar-SA", "en-GB"]


def test_a_draft_in_arabic_is_right_to_left_with_its_excerpts_in_their_own_language(
    drafted, django_capture_on_commit_callbacks
):
    draft = build(
        drafted.world.reviews.amr, language="ar", capture=django_capture_on_commit_callbacks
    )
    document = open_docx(draft)
    assert document.core_properties.language == "ar-SA"
    heading = next(p for p in document.paragraphs if p.style.name == "Heading 2")
    assert heading._p.find(f"{w('pPr')}/{w('bidi')}") is not None
    english = next(p for p in document.paragraphs if p.text == "Joint progress.")
    assert english._p.find(f"{w('pPr')}/{w('bidi')}") is None
    assert _run_languages(english) == [{"val": "en-GB"}]


def test_the_pdf_holds_the_arabic_and_chinese_excerpts(
    drafted, django_capture_on_commit_callbacks
):
    draft = build(drafted.world.reviews.amr, capture=django_capture_on_commit_callbacks)
    reader = PdfReader(io.BytesIO(read(draft.pdf)))
    assert draft.page_count == len(reader.pages)
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert ARABIC in text
    assert CHINESE in text
    assert "LEAD (joint with PART), “Joint work”, objective 1, version 2" in text
    assert "Declined words" not in text and "Waiting words" not in text


def test_the_pdf_marks_each_excerpt_with_its_language(drafted):
    review = drafted.world.reviews.amr
    synthesis = gather_synthesis(review, accepted_versions(review))
    with translation.override("fr"):
        html = render_to_string("pdf/synthesis.html", synthesis_context(synthesis, language="fr"))
    assert '<html lang="fr" dir="ltr">' in html
    assert f'<div class="excerpt" lang="ar" dir="rtl"><p>{ARABIC}</p></div>' in html
    assert f'<div class="excerpt" lang="zh" dir="ltr"><p>{CHINESE}</p></div>' in html


def test_citations_name_iscm_input_place_and_version(drafted):
    review = drafted.world.reviews.amr
    synthesis = gather_synthesis(review, accepted_versions(review))
    cited = {citation_text(e.citation) for e in synthesis.excerpts}
    assert "LEAD (joint with PART), “Joint work”, objective 2, version 2" in cited
    assert {e.citation.input_id for e in synthesis.excerpts} == {
        i.pk for i in drafted.accepted.values()
    }


# --- Background work: progress and failures --------------------------------------


def test_a_draft_is_queued_at_zero_then_done_at_one_hundred(
    client, drafted, django_capture_on_commit_callbacks
):
    world = drafted.world
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        draft, created = synthesis_drafts.request_draft(
            world.reviews.amr, language="en", by=world.reviewer
        )
    assert created and len(callbacks) == 1
    assert (draft.status, draft.percent) == ("queued", 0)
    client.force_login(world.reviewer)
    page = client.get(draft.get_absolute_url()).content.decode()
    assert 'data-refresh-seconds="3"' in page and 'value="0"' in page
    # Asking again while it waits gives the same draft.
    again, created = synthesis_drafts.request_draft(world.reviews.amr, language="en")
    assert (again.pk, created) == (draft.pk, False)

    callbacks[0]()  # the task, run by the immediate backend
    draft.refresh_from_db()
    assert (draft.status, draft.percent, draft.stage) == ("done", 100, "")
    page = client.get(draft.get_absolute_url()).content.decode()
    assert "data-refresh-seconds" not in page
    assert "It quotes 3 accepted inputs." in page
    for kind in ("docx", "pdf"):
        assert f"/download/{kind}/" in page
    # A finished draft is never built again.
    assert build_draft(draft.pk).status == "done"


class FullDisk(FileSystemStorage):
    def _save(self, name, content):
        raise OSError("No space left on device")


def test_a_failed_draft_says_why(client, drafted, settings, django_capture_on_commit_callbacks):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.FullDisk"},
    }
    world = drafted.world
    with django_capture_on_commit_callbacks(execute=True):
        draft, _created = synthesis_drafts.request_draft(world.reviews.amr, language="en")
    draft.refresh_from_db()
    assert draft.status == "failed"
    assert draft.error == "OSError: No space left on device"
    client.force_login(world.reviewer)
    page = client.get(draft.get_absolute_url()).content.decode()
    assert "The draft could not be written:" in page
    assert "No space left on device" in page
    assert "Draft again" in page
    response = client.get(f"/review/synthesis/{draft.pk}/download/docx/")
    assert response.status_code == 404


def test_a_draft_no_worker_took_fails_with_a_message(client, drafted):
    world = drafted.world
    draft, _created = synthesis_drafts.request_draft(
        world.reviews.amr, language="fr", enqueue=False
    )
    SynthesisDraft.objects.filter(pk=draft.pk).update(
        queued_at=timezone.now() - timezone.timedelta(days=1)
    )
    client.force_login(world.reviewer)
    page = client.get(draft.get_absolute_url()).content.decode()
    draft.refresh_from_db()
    assert draft.status == "failed"
    assert "No worker started the draft within 60 minutes." in page


def test_a_language_not_offered_is_refused(drafted):
    with pytest.raises(ValueError):
        synthesis_drafts.request_draft(drafted.world.reviews.amr, language="pt")


# --- Query budgets ------------------------------------------------------------------


def _build_queries(review) -> int:
    """Queries of a whole build (gathering, .docx, PDF), measured on a second build: the
    first one may also fill the dashboard's cached counts."""
    gather_synthesis(review, accepted_versions(review))
    with CaptureQueriesContext(connection) as queries:
        synthesis = gather_synthesis(review, accepted_versions(review))
        synthesis_document(synthesis, language="en")
        synthesis_pdf(synthesis, language="en")
    return len(queries)


# The accepted versions (2), their decision dates (1) and the dashboard's fixed set
# (reviews/coverage.py; about 13 today, 45 on a first reading that fills its cache).
BUILD_BUDGET = 50


def test_the_build_costs_the_same_queries_for_3_or_12_inputs(world):
    o1, o2, o3 = world.objectives
    for n in range(3):
        make_accepted(world, f"Input {n}", objectives={o1: ("P.", "Q.", "R.")})
    few = _build_queries(world.reviews.amr)
    for n in range(9):
        lead = other_iscm(world, f"MORE{n}")
        make_accepted(
            world, f"More {n}", lead=lead, objectives={o2: ("P.", "", ""), o3: ("", "Q.", "")}
        )
    many = _build_queries(world.reviews.amr)
    assert many == few <= BUILD_BUDGET
