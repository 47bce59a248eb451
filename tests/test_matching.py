"""Word matching shortcuts agree with the plain definitions they replace."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.text import same_family
from service.answering.constraints import names_present
from service.answering.matching import stem_families

WORDS = st.text(alphabet="abcde", min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.sets(WORDS, max_size=6), st.frozensets(WORDS, max_size=30))
def test_stem_families_are_the_pairs_of_one_family(stems: set[str], words: frozenset[str]) -> None:
    families = stem_families(dict.fromkeys(stems, 1.0), words)
    for s in stems:
        assert families[s] == frozenset(w for w in words if same_family(s, w))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(WORDS, min_size=1, max_size=3), min_size=1, max_size=3),
    st.lists(st.frozensets(WORDS, max_size=8), min_size=1, max_size=3),
)
def test_a_name_is_in_a_context_when_it_is_in_one_of_its_sentences(
    names: list[list[str]], sentences: list[frozenset[str]]
) -> None:
    def aliases(token: str) -> set[str]:
        return {token[::-1]}  # any corpus table of initialisms will do

    whole = names_present(names, frozenset().union(*sentences), aliases)
    parts = [names_present(names, s, aliases) for s in sentences]
    assert whole == [any(column) for column in zip(*parts, strict=True)]
