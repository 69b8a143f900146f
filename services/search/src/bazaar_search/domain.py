"""What search finds and how it ranks, decided without I/O: the words of a text, spellings within
one edit and price bands (which products may be found at all is `bazaar_shelf.card.is_listed`).

Indexing and querying share `words()`, so a product and a query are cut into the same words on
SQLite and PostgreSQL alike (neither database's own tokenizer decides what a word is).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bazaar_chassis import InvalidInput, Money
from bazaar_shelf.card import DISPLAY_CURRENCY

SEARCH_CURRENCY = DISPLAY_CURRENCY  # price filters and bands apply to the price a card shows
MIN_CORRECTED_LENGTH = 3  # shorter words have too many neighbours to guess from
MAX_WORD_LENGTH = 40  # longer "words" are not learned as spellings
MAX_TERMS = 8
# Price bands in minor units, inclusive: a band's bounds are valid min_price/max_price filters.
PRICE_BANDS: tuple[tuple[int, int | None], ...] = (
    (0, 999),
    (1000, 2499),
    (2500, 4999),
    (5000, 9999),
    (10000, None),
)

_WORD = re.compile(r"[^\W_]+")


def words(text: str | None) -> list[str]:
    """Lower-cased runs of letters and digits, accents removed: "Café-Crème" → cafe, creme."""
    if not text:
        return []
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _WORD.findall(plain.casefold())


def indexed_text(text: str | None) -> str:
    """The text as the full-text index stores it: its words, separated by single spaces."""
    return " ".join(words(text))


def deletions(word: str) -> set[str]:
    """The word and every string one deletion away: two words within one edit share one."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def within_one_edit(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns `a` into `b`."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
        return len(diff) == 1 or (swapped and a[diff[1]] == b[diff[0]])
    short, long = sorted((a, b), key=len)
    i = next((i for i, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), len(short))
    return short[i:] == long[i + 1 :]


def learnable(word: str) -> bool:
    return MIN_CORRECTED_LENGTH <= len(word) <= MAX_WORD_LENGTH


def spellings(texts: Sequence[str | None]) -> set[tuple[str, str]]:
    """(variant, word) pairs for the vocabulary table: every learnable word under its deletions."""
    learned = {w for text in texts for w in words(text) if learnable(w)}
    return {(variant, word) for word in learned for variant in deletions(word)}


def band_key(low: int, high: int | None) -> str:
    return f"{low}+" if high is None else f"{low}-{high}"


@dataclass(frozen=True, slots=True)
class Term:
    """One query word: matched as a prefix (type-ahead), or as any of its `corrections`."""

    word: str
    corrections: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Filters:
    category: str | None = None  # the category or any of its descendants
    in_stock: bool | None = None
    min_price: int | None = None  # minor units of the search currency, inclusive
    max_price: int | None = None

    def __post_init__(self) -> None:
        if (
            self.min_price is not None
            and self.max_price is not None
            and self.min_price > self.max_price
        ):
            raise InvalidInput(
                f"min_price ({self.min_price}) is above max_price ({self.max_price})"
            )


@dataclass(frozen=True, slots=True)
class SearchItem:
    sku: str
    name: str
    price: Money | None
    available: int

    @property
    def in_stock(self) -> bool:
        return self.available > 0


@dataclass(frozen=True, slots=True)
class Facets:
    """Counts over every product the query and filters match (not only the page shown)."""

    category: dict[str, int] = field(default_factory=dict)
    in_stock: dict[str, int] = field(default_factory=lambda: {"true": 0, "false": 0})
    price: dict[str, int] = field(default_factory=lambda: {band_key(*b): 0 for b in PRICE_BANDS})

    @property
    def total(self) -> int:
        return sum(self.in_stock.values())


def query_terms(q: str | None) -> list[Term]:
    """The query's words as terms (none: every listed product); 422 for a query of no words."""
    if q is None or not q.strip():
        return []
    found = list(dict.fromkeys(words(q)))
    if not found:
        raise InvalidInput(f"q={q!r} has no letters or digits to search for")
    if len(found) > MAX_TERMS:
        raise InvalidInput(f"q has {len(found)} words; at most {MAX_TERMS} are searched")
    return [Term(w) for w in found]


def corrected(terms: Sequence[Term], neighbours: Iterable[tuple[str, str]]) -> list[Term]:
    """Each term with the known words within one edit of it; `neighbours` are the vocabulary's
    (variant, word) pairs whose variant is one of the terms' `deletions`."""
    by_variant: dict[str, set[str]] = {}
    for variant, word in neighbours:
        by_variant.setdefault(variant, set()).add(word)

    def near(term: str) -> tuple[str, ...]:
        if len(term) < MIN_CORRECTED_LENGTH:
            return ()
        found = {w for v in deletions(term) for w in by_variant.get(v, ())}
        return tuple(sorted(w for w in found if w != term and within_one_edit(term, w)))

    return [Term(t.word, near(t.word)) for t in terms]
