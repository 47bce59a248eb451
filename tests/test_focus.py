"""Where a question points: a section named by its number leads the hits, and a follow-up
stays in the section the conversation is in, unless it names another."""

from __future__ import annotations

import pytest

from index import Embedder, LoadedIndex, build_index, load_index
from service.answering import Answerer, Turn

MANUAL = """\
Harbour Operations Manual

1. Berths

  1.1. Allocation
   Berths are allocated by the harbour master one day before arrival.
   A vessel longer than 200 metres needs a deep-water berth.

  1.2. Fees
   Berthing costs twelve euros per metre per day.
   Fishing boats registered in the port pay half.

2. Pilots

  2.1. Boarding
   Pilots board every tanker at the outer buoy.
   Night arrivals need two tugs and a pilot.

  2.2. Fees
   Pilotage costs four hundred euros per movement.
   A second pilot is charged at half rate.
"""


@pytest.fixture(scope="module")
def manual(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> LoadedIndex:
    root = tmp_path_factory.mktemp("focus")
    (root / "corpus").mkdir()
    (root / "corpus" / "manual.txt").write_text(MANUAL)
    build_index(root / "corpus", root / "index", embedder)
    return load_index(root / "index")


# The conversation so far: an answer quoted from section 2.2.
ON_FEES = Turn(
    "How much does pilotage cost?", "Pilotage costs four hundred euros per movement. [1]"
)


@pytest.fixture(scope="module")
def answerer(manual: LoadedIndex, embedder: Embedder) -> Answerer:
    # Retrieval only: these tests read the hits, never the decision.
    return Answerer(embedder, lambda: manual, decision=None)  # type: ignore[arg-type]


def _sections_of_hits(
    answerer: Answerer, index: LoadedIndex, question: str, history: list[Turn]
) -> list[str]:
    found = answerer.gather(index, question, history)
    return [index.passages[h.passage_id].section for h in found.hits]


def test_focus_named_section_leads_the_hits(manual: LoadedIndex, answerer: Answerer) -> None:
    found = answerer.gather(manual, "What does section 2.2 say?", [])
    assert found.facts.sections_asked == ("2.2",) and found.facts.overview
    assert manual.passages[found.hits[0].passage_id].section == "2.2. Fees"


def test_focus_follow_up_stays_in_the_conversation_section(
    manual: LoadedIndex, answerer: Answerer
) -> None:
    sections = _sections_of_hits(answerer, manual, "And for a second one?", [ON_FEES])
    assert sections[0] == "2.2. Fees"


def test_focus_follow_up_that_names_a_section_moves_there(
    manual: LoadedIndex, answerer: Answerer
) -> None:
    sections = _sections_of_hits(
        answerer, manual, "What does section 1.1 say about long vessels?", [ON_FEES]
    )
    assert sections[0] == "1.1. Allocation"
