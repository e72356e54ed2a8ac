"""Text analysis: how words become index terms, the same way for documents and queries.

Accents are folded first and the French or English Snowball stemmer runs after, so « expédiés »
and « expedies » (typed without accents) reduce to the same term.
"""

from __future__ import annotations

import re
import threading
import unicodedata

import Stemmer

WORD = re.compile(r"\w+", re.UNICODE)
STEMMERS = {"en": "english", "fr": "french"}

# Words that say nothing about the topic; dropped from queries (documents keep them).
STOPWORDS = {
    "en": {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "get",
        "got",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "them",
        "there",
        "they",
        "this",
        "to",
        "up",
        "us",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    },
    "fr": {
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "comment",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "en",
        "est",
        "et",
        "il",
        "ils",
        "je",
        "la",
        "le",
        "les",
        "leur",
        "lui",
        "ma",
        "mais",
        "me",
        "mes",
        "mon",
        "ne",
        "nous",
        "on",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "ta",
        "te",
        "tes",
        "ton",
        "tu",
        "un",
        "une",
        "vos",
        "votre",
        "vous",
        "y",
        "l",
        "d",
        "j",
        "n",
        "s",
        "t",
        "c",
        "m",
        "suis",
        "sont",
        "ai",
        "as",
        "avez",
        "faire",
        "fait",
        "quand",
        "quoi",
    },
}

_local = threading.local()


def fold(text: str) -> str:
    """Lower case without accents: « Réclamation » and « reclamation » are one word."""
    if text.isascii():
        return text.lower()  # the common case, and the same answer, a hundred times faster
    folded = unicodedata.normalize("NFKD", text.casefold())
    # Each distinct accent is deleted in one pass (in C): a test per character is slower.
    for mark in [ch for ch in set(folded) if unicodedata.combining(ch)]:
        folded = folded.replace(mark, "")
    return folded


def words(text: str) -> list[str]:
    """The folded words of ``text`` (``l'acheteur`` gives ``l`` and ``acheteur``)."""
    return WORD.findall(fold(text or ""))


def _stemmer(locale: str | None) -> Stemmer.Stemmer | None:
    name = STEMMERS.get(locale or "")
    if name is None:
        return None
    cache = getattr(_local, "stemmers", None)
    if cache is None:
        cache = _local.stemmers = {}  # Stemmer objects are not thread-safe: one per thread
    if name not in cache:
        cache[name] = Stemmer.Stemmer(name)
    return cache[name]


def stem(tokens: list[str], locale: str | None) -> list[str]:
    stemmer = _stemmer(locale)
    return stemmer.stemWords(tokens) if stemmer else tokens


def analyse(text: str, locale: str | None) -> str:
    """Document text as the SQLite index stores it: folded, stemmed words."""
    return " ".join(stem(words(text), locale))


def query_words(text: str, locale: str | None, limit: int = 12) -> list[str]:
    """The words a query asks for, without stop words unless nothing else is left."""
    found = words((text or "")[:2000])
    stop = STOPWORDS.get(locale or "", set()) | (
        STOPWORDS["en"] | STOPWORDS["fr"] if locale is None else set()
    )
    meaningful = [w for w in found if w not in stop and len(w) > 1]
    unique = list(dict.fromkeys(meaningful or found))
    return unique[:limit]
