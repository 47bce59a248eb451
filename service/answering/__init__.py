"""The answering path: question → standalone query → candidates → fitted decision → answer."""

from .answerer import Answer, Answerer, Gathered, corpus_subject
from .citations import Citation, RelatedSection
from .conversation import Turn, fold_history
from .decision import DecisionModel

__all__ = [
    "Answer",
    "Answerer",
    "Citation",
    "DecisionModel",
    "Gathered",
    "RelatedSection",
    "Turn",
    "corpus_subject",
    "fold_history",
]
