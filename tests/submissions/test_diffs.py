"""Comparing two versions of an input: `submissions.diffs` and its template partial.

Snapshots are built by hand in the shape `submissions.snapshots.take_snapshot` gives,
so no database is needed.
"""

import copy
import random
from itertools import pairwise

import pytest
from django.template.loader import render_to_string

from submissions.diffs import (
    DELETE,
    EQUAL,
    INSERT,
    DiffBlock,
    Fragment,
    changed_only,
    diff_snapshots,
    diff_text,
)


def _snapshot() -> dict:
    return {
        "schema": 1,
        "title": "Input of the Budapest Process to the regional review",
        "language": "en",
        "direction": "ltr",
        "basis": "written_input",
        "cycle": {"slug": "2024-2025", "name": "Regional reviews 2024–2025", "years": "2024–2025"},
        "lead": {"slug": "budapest", "acronym": "BP", "name": "Budapest Process", "kind": "rcp"},
        "partners": [
            {"slug": "prague", "acronym": "PP", "name": "Prague Process", "kind": "rcp"},
        ],
        "targets": [
            {
                "region": "UNECE",
                "region_name": "Europe and North America",
                "commission": "UNECE",
                "deadline": "2024-09-30",
            },
        ],
        "sections": [
            {
                "number": 1,
                "title": "Introduction",
                "kind": "narrative",
                "required": True,
                "word_limit": 500,
                "body": "The Budapest Process brings together 50 states.\n\nIt meets yearly.",
            },
            {
                "number": 2,
                "title": "Guiding principles",
                "kind": "principles",
                "required": False,
                "word_limit": 300,
                "body": "The work is people-centred.",
            },
            {
                "number": 3,
                "title": "GCM objectives",
                "kind": "objectives",
                "required": True,
                "word_limit": 400,
                "body": "",
            },
            {
                "number": 4,
                "title": "Challenges, opportunities and emerging issues",
                "kind": "narrative",
                "required": True,
                "word_limit": 800,
                "body": "- Funding\n- Data\n",
            },
        ],
        "objectives": [
            {
                "number": 2,
                "short_title": "Drivers",
                "title": "Minimize the adverse drivers",
                "round_table": 1,
                "progress": "A study was published.",
                "practices": "",
                "challenges": "Few data.",
            },
            {
                "number": 7,
                "short_title": "Vulnerabilities",
                "title": "Address and reduce vulnerabilities in migration",
                "round_table": 1,
                "progress": "Shelters opened in three states.",
                "practices": "Joint training of border staff.",
                "challenges": "",
            },
        ],
        "principles": [
            {"letter": "a", "title": "People-centred"},
            {"letter": "c", "title": "National sovereignty"},
        ],
        "formats": ["Written input"],
        "priorities": ["Labour migration"],
        "challenges": ["Funding"],
        "attachments": [
            {
                "id": 1,
                "file": "attachments/2024/report.pdf",
                "title": "Annual report",
                "display_name": "report.pdf",
                "content_type": "application/pdf",
                "size": 2048,
                "sha256": "a" * 64,
            },
        ],
    }


def _block(blocks: list[DiffBlock], key: str) -> DiffBlock:
    return next(block for block in blocks if block.key == key)


def _old_text(fragments: list[Fragment]) -> str:
    return "".join(f.text for f in fragments if f.op != INSERT)


def _new_text(fragments: list[Fragment]) -> str:
    return "".join(f.text for f in fragments if f.op != DELETE)


def _ops(fragments: list[Fragment]) -> list[tuple[str, str]]:
    return [(f.op, f.text) for f in fragments]


# --- Text ---------------------------------------------------------------------------


def test_diff_text_inserted_sentence_is_one_insert():
    old = "The plan was adopted. It covers labour migration."
    new = "The plan was adopted. A review is due in 2025. It covers labour migration."

    assert _ops(diff_text(old, new)) == [
        (EQUAL, "The plan was adopted. "),
        (INSERT, "A review is due in 2025. "),
        (EQUAL, "It covers labour migration."),
    ]


def test_diff_text_deleted_sentence_is_one_delete():
    old = "The plan was adopted. A review is due in 2025. It covers labour migration."
    new = "The plan was adopted. It covers labour migration."

    assert _ops(diff_text(old, new)) == [
        (EQUAL, "The plan was adopted. "),
        (DELETE, "A review is due in 2025. "),
        (EQUAL, "It covers labour migration."),
    ]


def test_diff_text_changed_word_marks_that_word():
    fragments = diff_text(
        "In 2023 the ministry adopted a plan.", "In 2024 the ministry adopted a plan."
    )

    assert _ops(fragments) == [
        (EQUAL, "In "),
        (DELETE, "2023 "),
        (INSERT, "2024 "),
        (EQUAL, "the ministry adopted a plan."),
    ]


def test_diff_text_rewritten_phrase_reads_as_one_delete_and_one_insert():
    # The space between the words is kept in both, but splitting on it would zigzag.
    assert _ops(diff_text("red car goes", "blue bus goes")) == [
        (DELETE, "red car "),
        (INSERT, "blue bus "),
        (EQUAL, "goes"),
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("", "A first text."),
        ("A text that goes.", ""),
        ("Para one.\n\nPara two is here.", "Para one.\n\nPara two is there.\n\nPara three."),
        ("Line one\r\nLine two\r\n", "Line one\r\nLine 2\r\nLine three"),
        ("- one\n- two\n- three\n", "- one\n- 2\n- three\n- four\n"),
        ("1. First\n2. Second\n\n**Bold** claim", "1. First\n   * nested\n2. Second\n\n*Bold*"),
        ("  leading spaces\tand tabs  ", "leading spaces and\ttabs\n"),
        ("foo bar", "foo\nbar"),
        (
            "اعتمدت الحكومة خطة وطنية للهجرة.",
            "اعتمدت الحكومة خطة إقليمية للهجرة.\nوهي تغطي العمل.",
        ),
        (
            "政府通过了国家移民计划。该计划涵盖劳务移民。",
            "政府通过了区域移民计划。\n该计划涵盖劳务移民和家庭团聚。",
        ),
        ("Правительство приняло план.", "Правительство приняло новый план."),
        ("日本語のテキスト、한국어 텍스트", "日本語の文章、한국어 문장"),
        ("El plan fue adoptado.", "El plan fue adoptado. Le plan a été adopté."),
    ],
)
def test_diff_text_fragments_rejoin_to_both_texts(old, new):
    fragments = diff_text(old, new)

    assert _old_text(fragments) == old
    assert _new_text(fragments) == new
    assert all(f.text for f in fragments)
    assert all(a.op != b.op for a, b in pairwise(fragments))


def test_diff_text_chinese_edit_marks_only_the_changed_characters():
    fragments = diff_text(
        "政府通过了国家移民计划。该计划涵盖劳务移民。",
        "政府通过了区域移民计划。该计划涵盖劳务移民。",
    )

    assert _ops(fragments) == [
        (EQUAL, "政府通过了"),
        (DELETE, "国家"),
        (INSERT, "区域"),
        (EQUAL, "移民计划。该计划涵盖劳务移民。"),
    ]


def test_diff_text_equal_texts_are_one_equal_fragment():
    assert diff_text("Same\ntext.", "Same\ntext.") == [Fragment(EQUAL, "Same\ntext.")]
    assert diff_text("", "") == []


def _long_text(rng: random.Random, words: int) -> str:
    vocabulary = ["the", "of", "and", "migration", "states", "regional", "review", "to"]
    vocabulary += [f"word{i}" for i in range(2000)]
    paragraphs = []
    for _ in range(words // 100):
        sentences = [
            " ".join(rng.choice(vocabulary) for _ in range(20)).capitalize() + "."
            for _ in range(5)
        ]
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


def test_diff_text_large_inputs_with_a_few_edits_rejoin():
    rng = random.Random(7)
    old = _long_text(rng, 5000)
    words = old.split(" ")
    for position in rng.sample(range(len(words)), 10):
        words[position] = "CHANGED"
    words.insert(len(words) // 2, "A whole new sentence.")
    new = " ".join(words)

    fragments = diff_text(old, new)

    assert _old_text(fragments) == old
    assert _new_text(fragments) == new
    assert "".join(f.text for f in fragments if f.op == INSERT).count("CHANGED") == 10


def test_diff_text_large_inputs_entirely_different_rejoin():
    # Too different to compare word by word: the coarser fallback still rejoins.
    rng = random.Random(11)
    old = " ".join(_long_text(rng, 5000).split())  # one paragraph
    new = " ".join(_long_text(rng, 5000).split())

    fragments = diff_text(old, new)

    assert _old_text(fragments) == old
    assert _new_text(fragments) == new


def test_diff_text_one_long_repetitive_line_rejoins():
    # The worst case of the matcher (one token repeated thousands of times).
    old, new = "x " + "a " * 5000 + "z", "y " + "a " * 4990 + "q"

    fragments = diff_text(old, new)

    assert _old_text(fragments) == old
    assert _new_text(fragments) == new


# --- Snapshots ----------------------------------------------------------------------


def test_diff_snapshots_blocks_in_reading_order():
    old = _snapshot()

    keys = [block.key for block in diff_snapshots(old, copy.deepcopy(old))]

    assert keys == [
        "title",
        "partners",
        "targets",
        "section-1",
        "section-2",
        "principles",
        "objective-2-progress",
        "objective-2-practices",
        "objective-2-challenges",
        "objective-7-progress",
        "objective-7-practices",
        "objective-7-challenges",
        "section-4",
        "formats",
        "priorities",
        "challenges",
        "attachments",
    ]


def test_diff_snapshots_identical_versions_have_no_changed_block():
    old = _snapshot()

    blocks = diff_snapshots(old, copy.deepcopy(old))

    assert not any(block.changed for block in blocks)
    assert changed_only(blocks) == []
    assert all(f.op == EQUAL for block in blocks for f in block.fragments)


def test_diff_snapshots_labels_name_sections_and_objective_parts():
    old = _snapshot()

    blocks = diff_snapshots(old, copy.deepcopy(old))

    assert _block(blocks, "section-4").label == "4. Challenges, opportunities and emerging issues"
    assert _block(blocks, "objective-7-progress").label == "Objective 7 — Progress"
    assert _block(blocks, "objective-7-practices").label == "Objective 7 — Practices worth sharing"


def test_diff_snapshots_title_change():
    old = _snapshot()
    new = copy.deepcopy(old)
    new["title"] = "Joint input of the Budapest Process to the regional review"

    blocks = diff_snapshots(old, new)

    title = _block(blocks, "title")
    assert title.changed
    assert _ops(title.fragments) == [
        (DELETE, "Input "),
        (INSERT, "Joint input "),
        (EQUAL, "of the Budapest Process to the regional review"),
    ]
    assert [block.key for block in changed_only(blocks)] == ["title"]


def test_diff_snapshots_section_body_edit_changes_only_that_section():
    old = _snapshot()
    new = copy.deepcopy(old)
    new["sections"][3]["body"] = "- Funding\n- Data\n- Staff turnover\n"

    blocks = diff_snapshots(old, new)

    section = _block(blocks, "section-4")
    assert _ops(section.fragments) == [
        (EQUAL, "- Funding\n- Data\n"),
        (INSERT, "- Staff turnover\n"),
    ]
    assert [block.key for block in changed_only(blocks)] == ["section-4"]
    assert not _block(blocks, "section-1").changed


def test_diff_snapshots_objective_added_is_all_insert():
    old = _snapshot()
    new = copy.deepcopy(old)
    new["objectives"].append(
        {
            "number": 23,
            "short_title": "Cooperation",
            "title": "Strengthen international cooperation",
            "round_table": 4,
            "progress": "A regional platform was set up.",
            "practices": "",
            "challenges": "Funding ended.",
        }
    )

    blocks = diff_snapshots(old, new)

    progress = _block(blocks, "objective-23-progress")
    assert progress.changed
    assert _ops(progress.fragments) == [(INSERT, "A regional platform was set up.")]
    assert _ops(_block(blocks, "objective-23-challenges").fragments) == [
        (INSERT, "Funding ended.")
    ]
    assert not _block(blocks, "objective-23-practices").changed
    keys = [block.key for block in blocks]
    assert keys.index("objective-7-challenges") < keys.index("objective-23-progress")


def test_diff_snapshots_objective_removed_is_all_delete():
    old = _snapshot()
    new = copy.deepcopy(old)
    new["objectives"] = [o for o in new["objectives"] if o["number"] != 7]

    blocks = diff_snapshots(old, new)

    assert _ops(_block(blocks, "objective-7-progress").fragments) == [
        (DELETE, "Shelters opened in three states.")
    ]
    assert _ops(_block(blocks, "objective-7-practices").fragments) == [
        (DELETE, "Joint training of border staff.")
    ]
    assert not _block(blocks, "objective-2-progress").changed


def test_diff_snapshots_principles_ticked_and_unticked():
    old = _snapshot()
    new = copy.deepcopy(old)
    new["principles"] = [
        {"letter": "a", "title": "People-centred"},
        {"letter": "d", "title": "Rule of law and due process"},
    ]

    principles = _block(diff_snapshots(old, new), "principles")

    assert principles.changed
    assert _ops(principles.fragments) == [
        (EQUAL, "(a) People-centred\n"),
        (DELETE, "(c) National sovereignty\n"),
        (INSERT, "(d) Rule of law and due process\n"),
    ]


def test_diff_snapshots_formats_priorities_and_challenges_changes():
    old = _snapshot()
    new = copy.deepcopy(old)
    new["formats"] = ["Written input", "Statement"]
    new["priorities"] = []

    blocks = diff_snapshots(old, new)

    assert _ops(_block(blocks, "formats").fragments) == [
        (EQUAL, "Written input\n"),
        (INSERT, "Statement\n"),
    ]
    assert _ops(_block(blocks, "priorities").fragments) == [(DELETE, "Labour migration\n")]
    assert not _block(blocks, "challenges").changed


def test_diff_snapshots_attachment_replaced_by_another_file():
    old = _snapshot()
    new = copy.deepcopy(old)
    new["attachments"][0].update(id=2, size=4096, sha256="b" * 64)

    attachments = _block(diff_snapshots(old, new), "attachments")

    assert attachments.changed
    assert [f.op for f in attachments.fragments] == [DELETE, INSERT]
    assert attachments.fragments[0].text.startswith("Annual report (report.pdf, 2.0")
    assert attachments.fragments[1].text.startswith("Annual report (report.pdf, 4.0")


def test_diff_snapshots_attachment_same_file_is_unchanged():
    old = _snapshot()
    new = copy.deepcopy(old)
    new["attachments"][0].update(id=3, file="attachments/2025/report.pdf")

    assert not _block(diff_snapshots(old, new), "attachments").changed


def test_diff_snapshots_partners_and_targets_changes():
    old = _snapshot()
    new = copy.deepcopy(old)
    new["partners"] = []
    new["targets"].append(
        {"region": "UNECA", "region_name": "Africa", "commission": "UNECA", "deadline": None}
    )

    blocks = diff_snapshots(old, new)

    assert _ops(_block(blocks, "partners").fragments) == [(DELETE, "Prague Process (PP)\n")]
    assert _ops(_block(blocks, "targets").fragments) == [
        (EQUAL, "UNECE — Europe and North America\n"),
        (INSERT, "UNECA — Africa\n"),
    ]


def test_diff_snapshots_section_only_in_one_outline_is_all_insert_or_delete():
    old = _snapshot()
    new = copy.deepcopy(old)
    removed = new["sections"].pop(0)
    new["sections"].append(
        {
            "number": 5,
            "title": "Recommendations",
            "kind": "narrative",
            "required": False,
            "word_limit": None,
            "body": "Meet twice a year.",
        }
    )

    blocks = diff_snapshots(old, new)

    assert _ops(_block(blocks, "section-1").fragments) == [(DELETE, removed["body"])]
    assert _ops(_block(blocks, "section-5").fragments) == [(INSERT, "Meet twice a year.")]
    assert _block(blocks, "section-5").label == "5. Recommendations"
    keys = [block.key for block in blocks]
    assert keys.index("section-4") < keys.index("section-5") < keys.index("formats")


def test_diff_snapshots_typed_text_is_in_the_input_language():
    old = _snapshot()
    blocks = {block.key: block for block in diff_snapshots(old, copy.deepcopy(old))}

    assert blocks["title"].in_input_language
    assert blocks["section-1"].in_input_language
    assert blocks["objective-7-progress"].in_input_language
    assert not blocks["formats"].in_input_language
    assert not blocks["targets"].in_input_language


# --- Template -----------------------------------------------------------------------


def _render(old: dict, new: dict, **context) -> str:
    return render_to_string(
        "submissions/_diff.html", {"blocks": diff_snapshots(old, new), **context}
    )


def test_diff_template_marks_insertions_and_deletions():
    old = _snapshot()
    new = copy.deepcopy(old)
    new["sections"][0]["body"] = (
        "The Budapest Process brings together 52 states.\n\nIt meets yearly."
    )

    html = _render(old, new, language="en", direction="ltr")

    assert '<section class="diff-block" id="diff-section-1">' in html
    assert "<h3>1. Introduction</h3>" in html
    assert '<span class="visually-hidden" lang="en">deleted: </span>50 </del>' in html
    assert '<span class="visually-hidden" lang="en">inserted: </span>52 </ins>' in html
    assert '<div class="diff-text" lang="en" dir="ltr">' in html
    # Newlines are kept as typed, for white-space: pre-wrap.
    assert "<span>states.\n\nIt meets yearly.</span>" in html


def test_diff_template_escapes_typed_markup():
    old = _snapshot()
    new = copy.deepcopy(old)
    new["sections"][0]["body"] += "\n\n<script>alert('x')</script>"

    html = _render(old, new)

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_diff_template_right_to_left_text_carries_lang_and_dir():
    old = _snapshot()
    old.update(language="ar", direction="rtl")
    new = copy.deepcopy(old)
    new["title"] = "مساهمة عملية بودابست"
    new["formats"] = []

    html = _render(old, new, language="ar", direction="rtl")

    assert '<section class="diff-block" id="diff-title">' in html
    assert html.count('lang="ar" dir="rtl"') == 1  # the title, not the list of formats
    assert "مساهمة عملية بودابست" in html


def test_diff_template_lists_unchanged_blocks_in_one_line():
    old = _snapshot()
    new = copy.deepcopy(old)
    new["title"] = "A new title"

    html = _render(old, new)

    assert 'id="diff-title"' in html
    assert 'id="diff-section-1"' not in html
    assert "Unchanged: Partner ISCMs; Regional reviews; 1. Introduction;" in html
    assert "Nothing changed" not in html


def test_diff_template_says_when_nothing_changed():
    old = _snapshot()

    html = _render(old, copy.deepcopy(old))

    assert "Nothing changed between these versions." in html
    assert "diff-block" not in html
    assert "Unchanged:" not in html
