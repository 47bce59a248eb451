# ruff: noqa: RUF001 (Greek, Urdu and Armenian text is written with letters that look Latin)
"""The language of a question or a document (index/languages.py), the words BM25 reads in each
language (index/stemming.py) and the multilingual model (index/encoder/multilingual.py)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from index.encoder.multilingual import MultilingualEncoder
from index.languages import detect_language, script_of
from index.stemming import language_tokens, words
from index.text import split_sentences

XQUAD = Path(__file__).parent / "data" / "xquad"
QUESTIONS = [json.loads(line) for line in (XQUAD / "questions.jsonl").read_text().splitlines()]


def _share_detected(language: str) -> float:
    found = Counter(detect_language(q[language]).code for q in QUESTIONS)
    return found[language] / len(QUESTIONS)


def test_detect_language_english_questions_are_english() -> None:
    # Short English questions are the detector's weak spot; the guard must hold them.
    assert _share_detected("en") >= 0.99


@pytest.mark.parametrize("language", ["de", "es", "zh", "ar", "hi"])
def test_detect_language_questions_in_other_languages(language: str) -> None:
    assert _share_detected(language) >= 0.95


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Wer ist der Präsident des Landes?", "de"),  # not ASCII: no English guard
        ("Quien es el presidente del pais?", "es"),  # ASCII but no English function words
        # ASCII with English function words in a title, but the detector rules English out
        ("Welches Prinzip wurde in The Mask of Anarchy dargestellt?", "de"),
        ("Who is the president of the country?", "en"),
        ("哈萨克斯坦的总统是谁\uff1f", "zh"),
    ],
)
def test_detect_language_short_questions(text: str, code: str) -> None:
    assert detect_language(text).code == code


def test_detect_language_gives_two_letter_codes() -> None:
    # The model knows Wu Chinese too; callers only ever see ISO 639-1.
    assert detect_language("中华人民共和国成立于1949年。").code == "zh"


def test_language_tokens_stem_in_the_documents_language() -> None:
    tokens = language_tokens("Die Regierungen haben", ["de"])
    assert "regier" in tokens and "regierungen" in tokens


def test_language_tokens_keep_names_and_numbers_across_languages() -> None:
    german = language_tokens("Luther starb 1546 in Eisleben.", ["de"])
    english = language_tokens("Luther died in 1546 at Eisleben.", ["en"])
    assert {"luther", "1546", "eisleben"} <= set(german) & set(english)


@pytest.mark.parametrize(
    "written",
    ["في عام ١٩٢١", "वर्ष १९२१ में", "در سال ۱۹۲۱", "ในปี ๑๙๒๑", "in 1921"],
)
def test_numbers_in_any_scripts_digits_are_one_word(written: str) -> None:
    # A year written in Arabic-Indic, Devanagari, Persian or Thai digits matches the same
    # year in ASCII digits.
    assert "1921" in words(written)


@pytest.mark.parametrize(
    "dated",
    [
        "The treaty was signed on 12 March 1921.",
        "Der Vertrag wurde am 12. März 1921 unterzeichnet.",
        "El tratado se firmó el 12 de marzo de 1921.",
        "Traktat podpisano 12 marca 1921 roku.",
        "条约于1921年3月12日签署。",
        "وقعت المعاهدة في 12 مارس 1921.",
        "संधि पर 12 मार्च 1921 को हस्ताक्षर किए गए।",
    ],
)
def test_a_month_beside_a_number_is_one_token_in_every_language(dated: str) -> None:
    tokens = language_tokens(dated, [])
    assert tokens.count("#month3") == 1
    assert not [t for t in tokens if t.startswith("#month") and t != "#month3"]


def test_a_month_name_without_a_number_is_only_a_word() -> None:
    # "may" and "march" are words too; only a date makes them months.
    tokens = language_tokens("You may march to the square in May, she said.", ["en"])
    assert not [t for t in tokens if t.startswith("#")]
    assert "#month5" in language_tokens("In May 2020 she left.", ["en"])


def test_the_longest_month_name_of_an_unspaced_script_is_the_month() -> None:
    # "十一月" (November) holds "一月" (January); "11月" holds "1月".
    assert [t for t in language_tokens("2021年十一月", []) if t[0] == "#"] == ["#month11"]
    assert [t for t in language_tokens("2021年11月", []) if t[0] == "#"] == ["#month11"]


def test_words_cut_chinese_into_characters_and_pairs() -> None:
    cut = words("马丁路德1546年")
    assert {"马", "丁", "马丁", "1546", "年"} <= set(cut)
    assert "丁路" in cut and "德1546" not in cut


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("भारत की राजधानी क्या है?", ["भारत", "की", "राजधानी", "क्या", "है"]),  # vowel signs
        ("தமிழ்நாடு அரசு", ["தமிழ்நாடு", "அரசு"]),  # Tamil's virama
        ("مُحَمَّد رسول", ["محمد", "رسول"]),  # Arabic vowel points: dropped, not breaks
    ],
)
def test_words_keep_the_marks_inside_them(text: str, whole: list[str]) -> None:
    """A combining mark is part of its word, not a break: "भारत" stays one word and stems in
    Hindi, as the documents' words do."""
    assert words(text) == whole
    assert "भारत" in language_tokens("भारत की राजधानी", ["hi"])


def test_words_written_with_and_without_arabic_vowel_points_are_one_word() -> None:
    """Most Arabic text leaves the vowel points out, some writes them (and stretches words
    with the tatweel): either way the question meets the document."""
    assert words("أيضاً مُحَمَّد العـــربية") == words("أيضا محمد العربية")
    assert words("أيضا") != words("أيضت")  # a letter still tells words apart


def test_words_cut_thai_into_characters_and_pairs() -> None:
    """Thai writes no spaces between words: like Chinese, characters and their pairs, so a
    question's words meet the document's inside its runs; a number stays whole."""
    cut = words("กรุงเทพ 1782")
    assert {"ก", "กร", "รุ", "1782"} <= set(cut)


@pytest.fixture(scope="module")
def encoder() -> MultilingualEncoder:
    return MultilingualEncoder()


def test_multilingual_encoder_finds_the_english_paragraph_of_a_german_question(
    encoder: MultilingualEncoder,
) -> None:
    english = json.loads((XQUAD / "xquad.en.json").read_text())["data"][0]["paragraphs"]
    german = json.loads((XQUAD / "xquad.de.json").read_text())["data"][0]["paragraphs"]
    passages = encoder.encode([p["context"] for p in english])
    questions = [(q["question"], i) for i, p in enumerate(german) for q in p["qas"]]
    vectors = encoder.encode_queries([q for q, _ in questions])
    best = (vectors @ passages.T).argmax(axis=1)
    right = np.mean([b == i for b, (_, i) in zip(best, questions, strict=True)])
    assert right >= 0.7


def test_multilingual_encoder_vectors_are_normalised_and_sided(
    encoder: MultilingualEncoder,
) -> None:
    text = "Martin Luther was a German professor of theology."
    as_passage, as_query = encoder.encode([text])[0], encoder.encode_queries([text])[0]
    assert np.linalg.norm(as_passage) == pytest.approx(1.0, abs=1e-3)
    assert not np.allclose(as_passage, as_query)  # e5's "passage: " and "query: " prefixes


def test_split_sentences_at_the_marks_of_other_scripts() -> None:
    text = "地铁于2008年开通。票价两元\uff01最低吗\uff1f यह पहला वाक्य है। यह दूसरा है।"
    pieces = [text[a:b] for a, b in split_sentences(text)]
    assert pieces == [
        "地铁于2008年开通。",
        "票价两元\uff01",
        "最低吗\uff1f",
        "यह पहला वाक्य है।",
        "यह दूसरा है।",
    ]


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        (
            "Πώς θα επηρεαστεί η αλιεία; Σύμφωνα με μελέτη, λίγο.",
            ["Πώς θα επηρεαστεί η αλιεία;", "Σύμφωνα με μελέτη, λίγο."],
        ),
        ("Τι είναι\u037e Αυτό.", ["Τι είναι\u037e", "Αυτό."]),  # the Greek question mark itself
        ("یہ پہلا جملہ ہے۔ یہ دوسرا ہے۔", ["یہ پہلا جملہ ہے۔", "یہ دوسرا ہے۔"]),  # Urdu's full stop
        ("Բարեւ։ Ինչպես ես։", ["Բարեւ։", "Ինչպես ես։"]),  # Armenian's
        ("Hay tres; Él dijo: sí.", ["Hay tres; Él dijo: sí."]),  # a semicolon elsewhere
        ("the angles α; Β and γ.", ["the angles α; Β and γ."]),  # Greek letters in English
    ],
)
def test_split_sentences_at_the_ends_of_greek_urdu_and_armenian(
    text: str, pieces: list[str]
) -> None:
    """Greek writes its question mark as a semicolon between Greek words; other scripts have
    full stops of their own."""
    assert [text[a:b] for a, b in split_sentences(text)] == pieces


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("Das war 1990. Über die Jahre wuchs sie.", ["Das war 1990.", "Über die Jahre wuchs sie."]),
        ("Il est parti. État et ville.", ["Il est parti.", "État et ville."]),
        ("Şehir büyüdü. Çok insan geldi.", ["Şehir büyüdü.", "Çok insan geldi."]),
        ("Hà Nội là thủ đô. Đây là thành phố lớn.", ["Hà Nội là thủ đô.", "Đây là thành phố lớn."]),
        ("Llegó tarde. ¿Por qué? ¡No lo sé!", ["Llegó tarde.", "¿Por qué?", "¡No lo sé!"]),
        ("Powiedział tak. „Nie wiem” – dodał.", ["Powiedział tak.", "„Nie wiem” – dodał."]),
        (
            "Он сказал: «Нет». «Почему?» спросила она.",
            ["Он сказал: «Нет».", "«Почему?» спросила она."],
        ),
        ("서울은 수도이다. 부산은 항구이다.", ["서울은 수도이다.", "부산은 항구이다."]),
        # A lowercase word after a dot: an abbreviation's, not a sentence's end.
        ("Было 5 млн. человек в городе.", ["Было 5 млн. человек в городе."]),
        # Chinese ends sentences with its own stop: after a Latin dot, an initial.
        ("许多辩论都是由 J.A. 霍布森倡导的。", ["许多辩论都是由 J.A. 霍布森倡导的。"]),
        (
            "กรุงเทพฯ เป็นเมืองหลวงของประเทศไทย ประชากรมีมากกว่าสิบล้านคน",
            ["กรุงเทพฯ เป็นเมืองหลวงของประเทศไทย", "ประชากรมีมากกว่าสิบล้านคน"],
        ),
        ("ข้อมูลต่างๆ มีมาก ปี 1990 เริ่ม", ["ข้อมูลต่างๆ มีมาก", "ปี 1990 เริ่ม"]),
    ],
)
def test_split_sentences_of_languages_beyond_english(text: str, pieces: list[str]) -> None:
    """A sentence opens with a capital of any script, after an inverted or low opening mark,
    or in a script without capitals; Thai, which writes no full stop, ends one at a space
    (not after its abbreviation or repetition mark)."""
    assert [text[a:b] for a, b in split_sentences(text)] == pieces


def test_split_sentences_leaves_english_as_it_was() -> None:
    text = "Mr. Smith arrived in 2014. He left! Did he? Yes."
    pieces = [text[a:b] for a, b in split_sentences(text)]
    assert pieces == ["Mr. Smith arrived in 2014.", "He left!", "Did he?", "Yes."]


def test_split_sentences_of_a_script_without_capitals() -> None:
    text = "هذه الجملة الأولى. وهذه الثانية."
    assert [text[a:b] for a, b in split_sentences(text)] == ["هذه الجملة الأولى.", "وهذه الثانية."]


@pytest.mark.parametrize(
    ("code", "script"),
    [
        ("en", "Latn"),
        ("tr", "Latn"),
        ("ru", "Cyrl"),
        ("el", "Grek"),
        ("th", "Thai"),
        ("zh", "Hans"),
        ("ar", "Arab"),
        ("fa", "Arab"),
        ("hi", "Deva"),
        ("qq", "qq"),
    ],
)
def test_script_of_a_language_is_cldrs(code: str, script: str) -> None:
    """What the cross-lingual thresholds group pairs by; a code CLDR does not know is a
    script of its own (shared with no other language)."""
    assert script_of(code) == script
