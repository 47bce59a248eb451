"""An ordinal pins down a position only where the documents vary it (issue #33): "the seventh
round" of a text that has a sixth is a constraint; "third party" of one that never says
"second party" is a term, and a sentence without the word "third" may still answer it."""

from __future__ import annotations

from service.answering.constraints import constraint_mismatch, ordinals_in_terms

POLICY = "We may share your data with third-party vendors. Third parties may set cookies."
BRIEFING = "The sixth round of the dialogue was held in Astana in 2013."


def test_an_ordinal_the_documents_never_vary_is_a_term() -> None:
    assert ordinals_in_terms("Do you share my data with a third party?", [POLICY]) == {"third"}


def test_an_ordinal_the_documents_vary_is_a_position() -> None:
    question = "When was the seventh round of the dialogue?"
    assert ordinals_in_terms(question, [BRIEFING]) == frozenset()
    assert constraint_mismatch(question, BRIEFING, "", ordinals_in_terms(question, [BRIEFING]))


def test_a_term_is_not_a_constraint_the_answer_must_repeat() -> None:
    question = "Do you share my contact information with a third party?"
    answer = "We share your email address with our advertising partners."
    assert constraint_mismatch(question, answer, "")  # read as a position, it refuses
    terms = ordinals_in_terms(question, [POLICY, answer])
    assert not constraint_mismatch(question, answer, "", terms)
