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


# Words that say nothing about the topic; dropped from queries (documents keep them). Snowball's
# lists for English and French (those PostgreSQL's configurations use), folded, and a few more.
def _word_list(text: str) -> set[str]:
    return set(text.split())


STOPWORDS = {
    "en": _word_list(
        "a about above after again against all am an and any are as at be because been before "
        "being below between both but by can did do does doing don down during each few for "
        "from further get got had has have having he her here hers herself him himself his how "
        "i if in into is it its itself just me more most my myself no nor not now of off on "
        "once only or other our ours ourselves out over own s same she should so some such t "
        "than that the their theirs them themselves then there these they this those through to "
        "too under until up us very was we were what when where which while who whom why will "
        "with you your yours yourself yourselves "
    ),
    "fr": _word_list(
        "a ai aie aient aies ait as au aura aurai auraient aurais aurait auras aurez auriez "
        "aurions aurons auront aux avaient avais avait avec avez aviez avions avons ayant "
        "ayante ayantes ayants ayez ayons c ce ces comment d dans de des du elle en es est et "
        "etaient etais etait etant etante etantes etants ete etee etees etes etiez etions eu "
        "eue eues eumes eurent eus eusse eussent eusses eussiez eussions eut eutes eux faire "
        "fait fumes furent fus fusse fussent fusses fussiez fussions fut futes il ils j je l la "
        "le les leur lui m ma mais me meme mes moi mon n ne nos notre nous on ont ou par pas "
        "pour qu quand que qui quoi s sa se sera serai seraient serais serait seras serez "
        "seriez serions serons seront ses soient sois soit sommes son sont soyez soyons suis "
        "sur t ta te tes toi ton tu un une vos votre vous y "
    ),
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
