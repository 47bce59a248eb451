"""The answering path: question → standalone query → candidates → fitted decision → answer."""

from .answerer import Answer, Answerer, Gathered
from .citations import Citation, RelatedSection, pages_spanned
from .conversation import Turn, fold_history
from .decision import DecisionModel
from .refusals import Reason, Refusal, refusal_for
from .settling import Settled
from .turns import AnswerQueue, WaitedTooLong

__all__ = [
    "Answer",
    "AnswerQueue",
    "Answerer",
    "Citation",
    "DecisionModel",
    "Gathered",
    "Reason",
    "Refusal",
    "RelatedSection",
    "Settled",
    "Turn",
    "WaitedTooLong",
    "fold_history",
    "pages_spanned",
    "refusal_for",
]
