"""What changed between two versions of an input, read from their snapshots.

Reviewers and secretariats compare versions section by section and objective by
objective, so `diff_snapshots` returns one `DiffBlock` per part of the document, in
reading order, each holding word-level fragments (equal / insert / delete). The
fragments are plain text: the template escapes them, nothing here produces HTML.

Rules for typed text (titles, section bodies, objective answers):

- Tokens are runs of non-space characters ("words", punctuation stays attached) and
  the runs of whitespace between them, so joining the equal and delete fragments gives
  back the old text exactly and equal + insert gives the new text (newlines included).
  Chinese and Japanese are written without spaces: each ideograph, kana, hangul
  syllable or full-width sign is a token of its own, so an edit marks only what changed.
- The texts are compared coarse to fine: lines (Markdown paragraphs and list items),
  then the sentences of the lines that changed, then the words of the sentences that
  changed. Unchanged paragraphs cost next to nothing however long the text.
- `difflib.SequenceMatcher` is quadratic when tokens repeat (the whitespace between
  words, "the", blank lines). Before each comparison the work is estimated (for each
  token of one side, how many times it occurs in the other); above `MATCH_BUDGET` the
  stretch is not compared finer and shows as the coarser units deleted then inserted.
  In practice that happens only for a very long stretch rewritten through.
- Short unchanged bits between two changes (the space in "red car" → "blue bus", a
  "the" in a rewritten sentence) are folded into the change, so a rewritten phrase
  reads as one deletion then one insertion rather than a word-by-word zigzag.

Lists (partners, regional reviews, ticked principles, formats, priorities, challenges,
attachments) are compared item by item, one item a line: an item is kept, added or
removed as a whole.
"""

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import NamedTuple

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

EQUAL = "equal"
INSERT = "insert"
DELETE = "delete"

# Section kinds, as `OutlineSection.Kind` stores them in snapshots.
OBJECTIVES = "objectives"
PRINCIPLES = "principles"

# Upper bound on the matching work of one comparison (see the module docstring).
# 300,000 keeps the worst case of a comparison around a tenth of a second.
MATCH_BUDGET = 300_000


@dataclass(frozen=True)
class Fragment:
    """A piece of text that both versions share (equal), or only the new (insert) or
    the old one (delete) has."""

    op: str
    text: str


@dataclass(frozen=True)
class DiffBlock:
    """One part of the document compared: `key` is a stable anchor ("section-3")."""

    key: str
    label: str
    fragments: list[Fragment]
    changed: bool

    @property
    def in_input_language(self) -> bool:
        """Typed by the input's authors, so in the input's language and direction, unlike
        the names that come from the portal's reference data (ISCMs, regions, formats)."""
        return self.key in ("title", "attachments") or self.key.startswith(
            ("section-", "objective-")
        )


def changed_only(blocks: Sequence[DiffBlock]) -> list[DiffBlock]:
    return [block for block in blocks if block.changed]


# --- Typed text ---------------------------------------------------------------------

# Scripts written without spaces between words: CJK radicals and symbols, kana,
# bopomofo, hangul, ideographs (with extensions and compatibility forms), full-width forms.
_CJK = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u318f\u31a0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
    "\U00020000-\U0003134f"
)
# A word with the whitespace that follows it; whitespace opening the text stands alone.
_WORD_TOKEN = re.compile(rf"[{_CJK}]\s*|[^\s{_CJK}]+\s*|\s+")
# A sentence ends after its full stop and the spaces that follow it, or at a newline.
_SENTENCE_END = re.compile(r"[.!?;؟؛]+\s+|[。！？；]+\s*|\n")


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _sentences(text: str) -> list[str]:
    units, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        units.append(text[start : end.end()])
        start = end.end()
    if start < len(text):
        units.append(text[start:])
    return units


def _words(text: str) -> list[str]:
    return _WORD_TOKEN.findall(text)


def _same(unit: str) -> str:
    return unit


def _without_trailing_space(unit: str) -> str:
    return unit.rstrip()


class _Level(NamedTuple):
    """How to cut a text into units, and what of a unit must match for it to count as
    kept (always a prefix of the unit; the rest, if it differs, shows as changed)."""

    split: Callable[[str], list[str]]
    key: Callable[[str], str]


# Words are matched without the whitespace that follows them: the single space between
# words would otherwise be by far the most repeated token, which is what makes
# SequenceMatcher slow, and would tie every word to its neighbours.
_PROSE_LEVELS = (
    _Level(_lines, _same),
    _Level(_sentences, _same),
    _Level(_words, _without_trailing_space),
)


class _Run(NamedTuple):
    """A stretch of both texts: the same in both (equal), or `old` replaced by `new`
    (either may be empty)."""

    equal: bool
    old: str
    new: str


def diff_text(old: str, new: str) -> list[Fragment]:
    """Word-level fragments turning `old` into `new`."""
    if old == new:
        return [Fragment(EQUAL, old)] if old else []
    runs = _merge_runs(_diff_runs(old, new, _PROSE_LEVELS))
    return _fragments(_absorb_short_equalities(runs))


def _diff_runs(old: str, new: str, levels: tuple[_Level, ...]) -> list[_Run]:
    """Compare at the coarsest level, then compare what was replaced one level finer."""
    level, finer = levels[0], levels[1:]
    a, b = level.split(old), level.split(new)
    # Most edits touch a small part of a text: setting the shared start and end aside
    # keeps the matcher (and the work estimate) to the part that changed.
    head = _shared_prefix(a, b)
    tail = _shared_prefix(a[head:][::-1], b[head:][::-1])
    a_mid, b_mid = a[head : len(a) - tail], b[head : len(b) - tail]
    a_keys, b_keys = [level.key(u) for u in a_mid], [level.key(u) for u in b_mid]

    runs = [_Run(True, "".join(a[:head]), "".join(a[:head]))] if head else []
    if _match_work(a_keys, b_keys) > MATCH_BUDGET:
        runs.append(_Run(False, "".join(a_mid), "".join(b_mid)))
    else:
        matcher = SequenceMatcher(None, a_keys, b_keys, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                for old_unit, new_unit in zip(a_mid[i1:i2], b_mid[j1:j2], strict=True):
                    runs.extend(_kept_unit(old_unit, new_unit, level.key(old_unit)))
                continue
            old_part, new_part = "".join(a_mid[i1:i2]), "".join(b_mid[j1:j2])
            if tag == "replace" and finer:
                runs.extend(_diff_runs(old_part, new_part, finer))
            else:
                runs.append(_Run(False, old_part, new_part))
    if tail:
        shared_end = "".join(a[len(a) - tail :])
        runs.append(_Run(True, shared_end, shared_end))
    return runs


def _kept_unit(old: str, new: str, key: str) -> list[_Run]:
    """A unit both texts have: its key is kept, what follows it may have changed."""
    if old == new:
        return [_Run(True, old, new)]
    return [_Run(True, key, key), _Run(False, old[len(key) :], new[len(key) :])]


def _shared_prefix(a: Sequence[str], b: Sequence[str]) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def _match_work(a: Sequence[str], b: Sequence[str]) -> int:
    """How many pairs SequenceMatcher's first pass visits: for each unit of `a`, its
    occurrences in `b`. Repeated units make it quadratic."""
    occurrences = Counter(b)
    return sum(occurrences[token] for token in a)


def _merge_runs(runs: list[_Run]) -> list[_Run]:
    """Join neighbours of the same kind, so equal and changed runs alternate."""
    merged: list[_Run] = []
    for run in runs:
        if not (run.old or run.new):
            continue
        if merged and merged[-1].equal == run.equal:
            last = merged.pop()
            run = _Run(run.equal, last.old + run.old, last.new + run.new)
        merged.append(run)
    return merged


def _absorb_short_equalities(runs: list[_Run]) -> list[_Run]:
    """Fold an unchanged stretch lying between two changes into them when it is no
    longer than what changed on either side (the rule of diff-match-patch's semantic
    clean-up). The runs must alternate equal / changed."""
    result: list[_Run] = []
    for run in runs:
        result.append(run)
        while len(result) >= 3 and _absorbable(*result[-3:]):
            after, between, before = result.pop(), result.pop(), result.pop()
            result.append(
                _Run(
                    False,
                    before.old + between.old + after.old,
                    before.new + between.new + after.new,
                )
            )
    return result


def _absorbable(before: _Run, between: _Run, after: _Run) -> bool:
    if before.equal or not between.equal or after.equal:
        return False
    size = len(between.old)
    return size <= max(len(before.old), len(before.new)) and size <= max(
        len(after.old), len(after.new)
    )


def _fragments(runs: list[_Run]) -> list[Fragment]:
    fragments: list[Fragment] = []
    for run in runs:
        if run.equal:
            fragments.append(Fragment(EQUAL, run.old))
            continue
        # Deletion first: the reader sees what was there, then what replaced it.
        if run.old:
            fragments.append(Fragment(DELETE, run.old))
        if run.new:
            fragments.append(Fragment(INSERT, run.new))
    return _merge_fragments(fragments)


def _merge_fragments(fragments: list[Fragment]) -> list[Fragment]:
    merged: list[Fragment] = []
    for fragment in fragments:
        if merged and merged[-1].op == fragment.op:
            fragment = Fragment(fragment.op, merged.pop().text + fragment.text)
        merged.append(fragment)
    return merged


# --- Lists --------------------------------------------------------------------------

# (identity, text shown): items are matched by identity, e.g. an attachment by its hash.
_Item = tuple[str, str]


def diff_items(old: Sequence[_Item], new: Sequence[_Item]) -> list[Fragment]:
    """Fragments for two lists, one item a line. An item kept under a new text (an
    attachment renamed) shows as its old line deleted and the new one inserted."""
    matcher = SequenceMatcher(
        None, [key for key, _ in old], [key for key, _ in new], autojunk=False
    )
    fragments: list[Fragment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            fragments.extend(Fragment(DELETE, f"{text}\n") for _, text in old[i1:i2])
            fragments.extend(Fragment(INSERT, f"{text}\n") for _, text in new[j1:j2])
            continue
        for (_, old_text), (_, new_text) in zip(old[i1:i2], new[j1:j2], strict=True):
            if old_text == new_text:
                fragments.append(Fragment(EQUAL, f"{old_text}\n"))
            else:
                fragments.append(Fragment(DELETE, f"{old_text}\n"))
                fragments.append(Fragment(INSERT, f"{new_text}\n"))
    return _merge_fragments(fragments)


def _partners(snapshot: dict) -> list[_Item]:
    return [(p["slug"], f"{p['name']} ({p['acronym']})") for p in snapshot.get("partners", [])]


def _targets(snapshot: dict) -> list[_Item]:
    return [
        (t["region"], f"{t['region']} — {t['region_name']}") for t in snapshot.get("targets", [])
    ]


def _principles(snapshot: dict) -> list[_Item]:
    return [(p["letter"], f"({p['letter']}) {p['title']}") for p in snapshot.get("principles", [])]


def _names(snapshot: dict, field: str) -> list[_Item]:
    return [(name, name) for name in snapshot.get(field, [])]


def _attachments(snapshot: dict) -> list[_Item]:
    # The size tells two files of the same name apart when one replaced the other.
    return [
        (a["sha256"], f"{a['title']} ({a['display_name']}, {filesizeformat(a['size'])})")
        for a in snapshot.get("attachments", [])
    ]


# --- Snapshots ----------------------------------------------------------------------


def diff_snapshots(old: dict, new: dict) -> list[DiffBlock]:
    """Every part of two snapshots compared, in reading order, changed or not."""
    blocks = [
        _text_block("title", gettext("Title"), old["title"], new["title"]),
        _items_block("partners", gettext("Partner ISCMs"), _partners(old), _partners(new)),
        _items_block("targets", gettext("Regional reviews"), _targets(old), _targets(new)),
    ]
    old_sections = {s["number"]: s for s in old.get("sections", [])}
    new_sections = {s["number"]: s for s in new.get("sections", [])}
    objectives_shown = principles_shown = False
    # Sections are matched by number; one only in one version (the outline changed)
    # compares with nothing, so it reads all inserted or all deleted.
    for number in sorted(old_sections.keys() | new_sections.keys()):
        before, after = old_sections.get(number), new_sections.get(number)
        kinds = {section["kind"] for section in (before, after) if section}
        if OBJECTIVES in kinds:
            blocks.extend(_objective_blocks(old, new))
            objectives_shown = True
        if kinds != {OBJECTIVES}:
            title = (after or before)["title"]
            blocks.append(
                _text_block(f"section-{number}", f"{number}. {title}", _body(before), _body(after))
            )
        if PRINCIPLES in kinds:
            blocks.append(_principles_block(old, new))
            principles_shown = True
    # Without a section of their own in either outline, objectives and principles
    # still count: they follow the sections rather than go unseen.
    if not objectives_shown and (old.get("objectives") or new.get("objectives")):
        blocks.extend(_objective_blocks(old, new))
    if not principles_shown and (old.get("principles") or new.get("principles")):
        blocks.append(_principles_block(old, new))
    blocks += [
        _items_block(
            "formats",
            gettext("Formats of contribution"),
            _names(old, "formats"),
            _names(new, "formats"),
        ),
        _items_block(
            "priorities",
            gettext("Priorities"),
            _names(old, "priorities"),
            _names(new, "priorities"),
        ),
        _items_block(
            "challenges",
            gettext("Challenges met"),
            _names(old, "challenges"),
            _names(new, "challenges"),
        ),
        _items_block("attachments", gettext("Attachments"), _attachments(old), _attachments(new)),
    ]
    return blocks


def _body(section: dict | None) -> str:
    # An objectives section's text lives in its objectives, not in a body.
    if section is None or section["kind"] == OBJECTIVES:
        return ""
    return section["body"]


def _objective_blocks(old: dict, new: dict) -> list[DiffBlock]:
    """One block per part of every objective either version answers, by number; an
    objective answered in one version only compares with empty text."""
    parts = {
        "progress": gettext("Progress"),
        "practices": gettext("Practices worth sharing"),
        "challenges": gettext("Challenges"),
    }
    old_objectives = {o["number"]: o for o in old.get("objectives", [])}
    new_objectives = {o["number"]: o for o in new.get("objectives", [])}
    blocks = []
    for number in sorted(old_objectives.keys() | new_objectives.keys()):
        before, after = old_objectives.get(number, {}), new_objectives.get(number, {})
        for part, part_label in parts.items():
            label = gettext("Objective %(number)s — %(part)s") % {
                "number": number,
                "part": part_label,
            }
            blocks.append(
                _text_block(
                    f"objective-{number}-{part}",
                    label,
                    before.get(part, ""),
                    after.get(part, ""),
                )
            )
    return blocks


def _principles_block(old: dict, new: dict) -> DiffBlock:
    return _items_block(
        "principles", gettext("Guiding principles ticked"), _principles(old), _principles(new)
    )


def _text_block(key: str, label: str, old: str, new: str) -> DiffBlock:
    return DiffBlock(key, label, diff_text(old, new), changed=old != new)


def _items_block(key: str, label: str, old: list[_Item], new: list[_Item]) -> DiffBlock:
    fragments = diff_items(old, new)
    return DiffBlock(key, label, fragments, changed=any(f.op != EQUAL for f in fragments))
