"""An input's timeline: state changes, consent, extensions and reviewers' comments in
one list, newest first. Staff see everything; secretariats never see internal notes or
comments not yet sent with a decision. The one place that decides that for history.
A draft started from an earlier cycle's input begins with where it came from
(`carryover.source_of`), for everyone who may read the history."""

from dataclasses import dataclass
from datetime import datetime

from .carryover import Source, source_of
from .models import ReviewComment, ReviewEvent, WrittenInput


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    event: ReviewEvent | None = None
    comment: ReviewComment | None = None
    started_from: Source | None = None


def timeline(written_input: WrittenInput, *, staff: bool) -> list[TimelineEntry]:
    """Two queries, whatever the length of the history (three for a draft started
    from an earlier input)."""
    events = written_input.events.select_related("actor").prefetch_related("reviews__region")
    comments = ReviewComment.objects.filter(input=written_input).select_related(
        "author", "section", "objective"
    )
    if not staff:
        events = events.exclude(visibility=ReviewEvent.Visibility.INTERNAL)
        comments = comments.for_secretariat()
    entries = [TimelineEntry(at=e.created_at, event=e) for e in events]
    entries += [TimelineEntry(at=c.created_at, comment=c) for c in comments]
    if source := source_of(written_input):
        entries.append(TimelineEntry(at=written_input.created_at, started_from=source))
    return sorted(entries, key=lambda entry: entry.at, reverse=True)
