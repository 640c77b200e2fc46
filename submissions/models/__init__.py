from .people import Membership, ReviewerAssignment
from .reference import (
    ISCM,
    Challenge,
    ContributionFormat,
    GCMObjective,
    GuidingPrinciple,
    Outline,
    OutlineSection,
    Priority,
    Region,
    RegionalReview,
    ReviewCycle,
    RoundTable,
)

__all__ = [
    "ISCM",
    "Challenge",
    "ContributionFormat",
    "GCMObjective",
    "GuidingPrinciple",
    "Membership",
    "Outline",
    "OutlineSection",
    "Priority",
    "Region",
    "RegionalReview",
    "ReviewCycle",
    "ReviewerAssignment",
    "RoundTable",
]
