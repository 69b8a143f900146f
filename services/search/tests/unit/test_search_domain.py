"""What search finds, decided without I/O: words, spellings within one edit, filters, queries."""

from __future__ import annotations

import pytest

from bazaar_chassis import InvalidInput
from bazaar_search import fulltext
from bazaar_search.domain import (
    Facets,
    Filters,
    Term,
    corrected,
    deletions,
    query_terms,
    spellings,
    within_one_edit,
    words,
)


def test_words_are_lower_cased_letters_and_digits_without_accents() -> None:
    assert words("Café-Crème, COF_001 (250 g)!") == ["cafe", "creme", "cof", "001", "250", "g"]


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("espreso", "espresso", True),  # one letter missing
        ("espressso", "espresso", True),  # one letter too many
        ("expresso", "espresso", True),  # one letter wrong
        ("epsresso", "espresso", True),  # two neighbours swapped
        ("espresso", "espresso", True),
        ("esprso", "espresso", False),  # two letters missing
        ("exprezzo", "espresso", False),
        ("abc", "bca", False),  # shares a deletion, but is two edits away
    ],
)
def test_within_one_edit_allows_one_insertion_deletion_substitution_or_swap(
    a: str, b: str, near: bool
) -> None:
    assert within_one_edit(a, b) is near
    assert within_one_edit(b, a) is near


def test_two_words_within_one_edit_always_share_a_deletion_variant() -> None:
    for typo in ("espreso", "espressso", "expresso", "epsresso"):
        assert deletions(typo) & deletions("espresso")


def test_the_vocabulary_learns_only_words_of_three_letters_or_more() -> None:
    learned = {word for _, word in spellings(["a tea of espresso", None])}
    assert learned == {"tea", "espresso"}


def test_a_term_is_corrected_to_the_known_words_within_one_edit_only() -> None:
    vocabulary = spellings(["espresso express expresso esprit tea"])
    (term,) = corrected([Term("espreso")], vocabulary)
    assert term.corrections == ("espresso",)
    (misspelt,) = corrected([Term("expreso")], vocabulary)
    assert misspelt.corrections == ("express", "expresso")
    (short,) = corrected([Term("te")], vocabulary)
    assert short.corrections == ()


def test_a_query_becomes_its_distinct_words_and_empty_means_everything() -> None:
    assert query_terms("Espr espr Machine") == [Term("espr"), Term("machine")]
    assert query_terms(None) == query_terms("  ") == []


@pytest.mark.parametrize(
    ("q", "fragment"), [("!!!", "no letters or digits"), (" ".join("abcdefghij"), "at most 8")]
)
def test_a_query_of_no_words_or_too_many_is_invalid(q: str, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        query_terms(q)


def test_a_price_range_whose_minimum_is_above_its_maximum_is_invalid() -> None:
    with pytest.raises(InvalidInput, match="above max_price"):
        Filters(min_price=2000, max_price=1000)


def test_empty_facets_count_nothing_but_name_every_stock_state_and_price_band() -> None:
    facets = Facets()
    assert facets.total == 0
    assert facets.in_stock == {"true": 0, "false": 0}
    assert list(facets.price) == ["0-999", "1000-2499", "2500-4999", "5000-9999", "10000+"]


def test_each_engine_gets_every_term_as_a_prefix_or_one_of_its_corrections() -> None:
    terms = [Term("espr"), Term("machnie", ("machine",))]
    assert fulltext.fts5_query(terms) == '"espr"* AND ("machnie"* OR "machine")'
    assert fulltext.tsquery(terms) == "espr:* & (machnie:* | machine)"
