"""The answering path: question → standalone query → candidates → fitted decision → answer."""

from .answerer import Answer, Answerer, Gathered, corpus_subject
from .citations import Citation, RelatedSection
from .conversation import Turn, fold_history
from .decision import DecisionModel
from .turns import AnswerQueue, WaitedTooLong

__all__ = [
    "Answer",
    "AnswerQueue",
    "Answerer",
    "Citation",
    "DecisionModel",
    "Gathered",
    "RelatedSection",
    "Turn",
    "WaitedTooLong",
    "corpus_subject",
    "fold_history",
]
