"""Query expansion: words and phrases that mean the same thing to the people searching.

A source that knows its domain's vocabulary (the help centre: "arnaque" for « fraude », "money
back" for refund) gives :func:`supportdesk.search.search` a :class:`Lexicon` built from lines of
Solr's ``synonyms.txt`` format, plus one kind of its own::

    # a comment
    refund, reimburse, money back       equivalent: each term stands for every other one
    scam, swindle => fraud              one way: the terms on the left also mean those on the right
    ~ hello, thanks, please             filler: dropped from long, conversational questions

Terms are compared as queries are analysed (folded, stop words dropped, stemmed), so a line
needs each word once. A query word found in the lexicon keeps its own weight and is answered by
its other terms too, at ``weight``; a phrase found in the query adds its terms as one more,
optional, concept. The query itself is turned into :class:`Concept`: what the backends search.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .analysis import STOPWORDS, stem, words

#: A query with more concepts than this is a question, not a list of keywords: its filler is
#: dropped and documents need not hold every word.
LONG_QUERY = 4
SYNONYM_WEIGHT = 0.5
MAX_TERM_WORDS = 8


class LexiconError(ValueError):
    """A line that is not in the lexicon format; ``str()`` says what is wrong with it."""


@dataclass(frozen=True)
class Concept:
    """One thing a query asks for: ``alternatives`` are ``(words, weight)``, folded words
    separated by spaces (a phrase when more than one); the first is what was typed, when it
    was (``typed``). ``required``: a document holding every required concept ranks above the
    others."""

    alternatives: tuple[tuple[str, float], ...]
    required: bool = True
    typed: bool = True


@dataclass(frozen=True)
class Rule:
    """One line: each term of ``terms`` also means each of ``means`` (itself excepted)."""

    terms: tuple[str, ...]
    means: tuple[str, ...]
    filler: bool = False


def _terms(text: str, line: str) -> tuple[str, ...]:
    terms = tuple(" ".join(words(term)) for term in text.split(","))
    if any(not term for term in terms):
        raise LexiconError(f"an empty term in {line!r}")
    if any(len(term.split()) > MAX_TERM_WORDS for term in terms):
        raise LexiconError(f"a term of more than {MAX_TERM_WORDS} words in {line!r}")
    return terms


def parse_rule(line: str) -> Rule | None:
    """The rule of one line; None for a blank or comment line; ``LexiconError`` otherwise."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if text.startswith("~"):
        return Rule(_terms(text[1:], line), (), filler=True)
    left, arrow, right = text.partition("=>")
    if arrow:
        if "=>" in right:
            raise LexiconError(f"more than one '=>' in {line!r}")
        return Rule(_terms(left, line), _terms(right, line))
    terms = _terms(text, line)
    if len(terms) < 2:
        raise LexiconError(f"a line needs two terms or more, separated by commas: {line!r}")
    return Rule(terms, terms)


class Lexicon:
    """The rules of one language, ready to expand queries. A line that is not a rule is left
    out and named in ``errors`` (a search never fails for a lexicon's typo).

    With ``base`` (a lexicon of the same language and weight), ``lines`` come after its own:
    the result reads as one lexicon of both, while ``meanings`` holds only what ``lines`` add
    and the base is shared, not copied (the help centre's shipped lines, a few thousand
    meanings, under the few its admins add)."""

    def __init__(
        self,
        lines: Iterable[str],
        locale: str,
        weight: float = SYNONYM_WEIGHT,
        *,
        base: Lexicon | None = None,
    ):
        self.locale = locale
        self.weight = weight
        self.base = base
        self.filler: set[str] = set(base.filler) if base is not None else set()
        self.meanings: dict[tuple[str, ...], dict[str, None]] = {}
        self.errors: list[str] = list(base.errors) if base is not None else []
        for rule in filter(None, map(self._rule, lines)):
            if rule.filler:
                self.filler.update(w for term in rule.terms for w in term.split())
                continue
            for term in rule.terms:
                key = self._key(term)
                if key:
                    found = self.meanings.setdefault(key, {})
                    found.update(dict.fromkeys(m for m in rule.means if m != term))
        self.longest = max(map(len, self.meanings), default=0)
        if base is not None:
            self.longest = max(self.longest, base.longest)

    def _rule(self, line: str) -> Rule | None:
        try:
            return parse_rule(line)
        except LexiconError as error:
            self.errors.append(str(error))
            return None

    def _key(self, term: str) -> tuple[str, ...]:
        """A term as a query's words are compared: stop words out (unless only they are)."""
        found = term.split()
        stop = STOPWORDS.get(self.locale, set())
        return tuple(stem([w for w in found if w not in stop] or found, self.locale))

    def knows(self, word: str) -> bool:
        return self._meanings_of(self._key(word)) is not None or word in self.filler

    def _meanings_of(self, key: tuple[str, ...]) -> dict[str, None] | None:
        """What ``key`` means, the base's meanings first."""
        own = self.meanings.get(key)
        if self.base is None:
            return own
        under = self.base._meanings_of(key)
        if own is None or under is None:
            return own if under is None else under
        return {**under, **own}

    def without_filler(self, terms: list[str]) -> list[str]:
        kept = [t for t in terms if t not in self.filler]
        return kept or terms

    def concepts(self, terms: list[str]) -> list[Concept]:
        """The query's words as concepts, each with its meanings, then the phrases found."""
        stems = stem(terms, self.locale)
        concepts = [
            Concept(((term, 1.0), *self._alternatives((s,), {term})))
            for term, s in zip(terms, stems, strict=True)
        ]
        for size in range(min(self.longest, len(stems)), 1, -1):
            for start in range(len(stems) - size + 1):
                phrase = tuple(stems[start : start + size])
                typed = " ".join(terms[start : start + size])
                if alternatives := self._alternatives(phrase, {typed}):
                    concepts.append(Concept(tuple(alternatives), required=False, typed=False))
        return concepts

    def _alternatives(self, key: tuple[str, ...], typed: set[str]) -> list[tuple[str, float]]:
        return [(m, self.weight) for m in self._meanings_of(key) or () if m not in typed]


def plain_concepts(terms: list[str]) -> list[Concept]:
    """A query's words as concepts, with no lexicon."""
    return [Concept(((term, 1.0),)) for term in terms]


def question_concepts(concepts: list[Concept]) -> list[Concept]:
    """A long question asks for none of its words in particular."""
    if sum(c.required for c in concepts) <= LONG_QUERY:
        return concepts
    return [Concept(c.alternatives, False, c.typed) for c in concepts]
