"""The two full-text backends behind the search service, with one interface.

Both rank at most ``CANDIDATE_CAP`` candidates, so a query made of common words costs the same
on 100,000 documents as on 1,000. Candidates are gathered best tiers first: every word, then,
only when those do not fill the page asked for, some word; in each tier the documents holding
the words in their title come first (on SQLite, in their title, tags or questions), from an
index of their own. When a query matches fewer documents than the cap, every match is ranked.

Ranking puts documents holding every word first, then by relevance: BM25F over title (10),
tags (5), questions (6) and body (1) on SQLite (:mod:`.ranking`); ``ts_rank_cd`` with A/B/C weights on
PostgreSQL. SQLite's statements go through the driver's cursor (:func:`_read`): a query runs a
handful of small ones, and SQLAlchemy's work for each costs more than SQLite's.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import SearchDocument
from . import postgres_statement, ranking
from .analysis import STOPWORDS, analyse, stem
from .lexicon import Concept
from .ranking import ALL_WORDS_BONUS, corpus_stats


def scope_token(source: str, locale: str | None) -> str:
    """An index token naming a source and language (``s`` + hash: letters and digits only)."""
    return (
        "s"
        + hashlib.sha1(f"{source}|{locale or ''}".encode(), usedforsecurity=False).hexdigest()[:16]
    )


def facet_token(source: str, facet: str) -> str:
    return "f" + hashlib.sha1(f"{source}|{facet}".encode(), usedforsecurity=False).hexdigest()[:16]


def scope_text(source: str, locale: str, facet: str) -> str:
    tokens = [scope_token(source, locale), scope_token(source, None)]
    if facet:
        tokens.append(facet_token(source, facet))
    return " ".join(tokens)


@dataclass
class Ranked:
    keys: list[str]
    scores: list[float]
    total: int
    #: How many of them pages can show: only the best candidates are ranked, and a page past
    #: them is empty however many documents match (None: as many as ``total``).
    reachable: int | None = None


def reachable(ranked_here: int, total: int, cap: int) -> int:
    """What pages can show: the candidates this page ranked, or, when documents holding only
    some words were not needed yet (a deeper page gathers them), as many of the ``total`` as
    the candidates may be."""
    return max(ranked_here, min(total, cap))


@dataclass(frozen=True)
class Passage:
    """A document's body as given to the index, with composed accents (a decomposed « é » is
    two words to a regular expression), and, where the index keeps them (SQLite), its analysed
    words, so that a snippet need not analyse the text again: ``terms[i]`` is the ``i``-th word
    of ``text`` folded and stemmed. (Folding seldom splits or joins a word, as with « ½ »; a
    passage shown may then start a word or two away from the best.)"""

    text: str
    terms: list[str] | None = None


_MATCHES = {
    "search_fts": "SELECT rowid FROM search_fts WHERE search_fts MATCH ? LIMIT ?",
    "search_fts_heads": "SELECT rowid FROM search_fts_heads WHERE search_fts_heads MATCH ? LIMIT ?",
}


class SqliteBackend:
    """FTS5 over folded, stemmed text."""

    name = "sqlite"
    # Each candidate's words are read in Python: with a lexicon's alternatives, 120 keeps a
    # search of 100,000 documents within its budget (the best tiers are gathered first).
    CANDIDATE_CAP = 120
    COUNT_CAP = 1000

    def stored_text(self, text: str, locale: str) -> str:
        return analyse(text, locale)

    def kept_body_text(self, body: str) -> str | None:
        # ``body`` holds analysed words: snippets need the text as written (see ``Passage``).
        return unicodedata.normalize("NFC", body)

    def passages(self, source: str, keys: list[str], locale: str) -> dict[str, Passage]:
        rows = _read(
            "SELECT doc_key, body_text, body FROM search_documents WHERE source = ?"
            " AND locale = ? AND doc_key IN (SELECT value FROM json_each(?))"
            " AND body_text IS NOT NULL",
            (source, locale, json.dumps(keys)),
        )
        return {key: Passage(text, body.split()) for key, text, body in rows}

    # -- query text -------------------------------------------------------------------------

    def _terms(self, terms: list[str], stems: list[str], prefix_last: bool) -> list[str]:
        parts = [f'"{s}"' for s in stems]
        if prefix_last:  # a word being typed: its stem or itself as a prefix
            parts[-1] = f'("{stems[-1]}"* OR "{terms[-1]}"*)'
        return parts

    def _analysed(
        self, concepts: list[Concept], locale: str | None
    ) -> list[list[tuple[str, float]]]:
        """Each concept's alternatives as the index holds them (stemmed words)."""
        return [
            [
                (analyse(words, locale) if locale else words, weight)
                for words, weight in c.alternatives
            ]
            for c in concepts
        ]

    def _expression(
        self, alternatives: list[tuple[str, float]], prefix: tuple[str, str] | None = None
    ) -> str:
        """One concept: any of its alternatives (a phrase is its words in a row)."""
        parts = [f'"{words}"' for words, _ in alternatives]
        if prefix is not None:  # a word being typed: its stem or itself as a prefix
            parts[0] = f'"{prefix[0]}"* OR "{prefix[1]}"*'
        return parts[0] if len(parts) == 1 else f"({' OR '.join(parts)})"

    def _filter(self, source: str, locale: str | None, facet: str | None) -> str:
        clause = f'scope : "{scope_token(source, locale)}"'
        if facet:
            clause += f' AND scope : "{facet_token(source, facet)}"'
        return clause

    def _rowids(self, expression: str, limit: int, table: str = "search_fts") -> list[int]:
        return [rowid for (rowid,) in _read(_MATCHES[table], (expression, limit))]

    # -- the service's entry points -----------------------------------------------------------

    def matching_ids(
        self, source: str, terms: list[str], locale: str | None, every_word: bool
    ) -> sa.Select:
        parts = self._terms(terms, stem(terms, locale) if locale else list(terms), False)
        words = " AND ".join(parts) if every_word else " OR ".join(parts)
        # The source and language are tested in the documents' index (id, source, locale,
        # doc_key), not with the scope token: for cases, nearly every document of the index,
        # reading that token's list was a quarter of a case search (5,452 matches of 100,000
        # cases: 51 -> 39 M instructions in SQLite). SQLite must be told to read that index:
        # joined on the rowid, it reads each match's whole row instead, with its text (1,084
        # matches of 20,000 cases: 1.47 ms, through the index 0.46 ms).
        where = "search_fts MATCH :words AND search_documents.source = :source"
        values = {"words": words, "source": source}
        if locale:
            where += " AND search_documents.locale = :locale"
            values["locale"] = locale
        return (
            sa.select(sa.column("doc_key", sa.String))
            .select_from(
                sa.text(
                    "search_documents INDEXED BY ix_search_documents_id_source"
                    " JOIN search_fts ON search_fts.rowid = search_documents.id"
                )
            )
            .where(sa.text(where).bindparams(**values))
        )

    def search(
        self,
        source: str,
        concepts: list[Concept],
        locale: str | None,
        *,
        facet: str | None,
        prefix_last: bool,
        limit: int,
        offset: int,
        feedback: bool = False,
        all_words_first: bool = True,
    ) -> Ranked:
        analysed = self._analysed(concepts, locale)
        last = max(i for i, c in enumerate(concepts) if c.typed)
        prefix = (analysed[last][0][0], concepts[last].alternatives[0][0]) if prefix_last else None
        parts = [
            self._expression(alts, prefix if prefix and i == last else None)
            for i, alts in enumerate(analysed)
        ]
        required = [part for part, c in zip(parts, concepts, strict=True) if c.required]
        base = self._filter(source, locale, facet)
        some = " OR ".join(parts)
        with_every = self._gather(f"{base} AND ({' AND '.join(required)})", {}) if required else {}
        candidates = dict(with_every)
        # A document holding only some words ranks below every document holding them all:
        # it is needed only when those do not fill the page.
        partial = len(parts) > 1 and len(candidates) < offset + limit
        if partial or not required:
            self._gather(f"{base} AND ({some})", candidates)
        if not candidates:
            return Ranked([], [], 0)
        total = len(candidates)
        if total >= self.CANDIDATE_CAP or (len(parts) > 1 and not partial):
            total = self._count(f"{base} AND ({some})", self.COUNT_CAP + 1)
        if prefix is not None:
            analysed[last] = analysed[last][1:]
        query = ranking.Query(analysed, prefix)
        ahead = with_every if all_words_first else {}
        rows = self._rows(candidates)
        stats = corpus_stats(source, locale)
        scored = ranking.bm25f(rows, stats, query, ahead)
        if feedback:
            scored = self._fed_back(base, query, rows, scored, stats, ahead, offset + limit)
        page = scored[offset : offset + limit]
        shown = reachable(len(scored), total, self.CANDIDATE_CAP)
        return Ranked([k for k, _ in page], [s for _, s in page], total, shown)

    def _fed_back(
        self,
        base: str,
        query: ranking.Query,
        rows: list[ranking.Candidate],
        scored: list[tuple[str, float]],
        stats: ranking.CorpusStats,
        with_every: dict[int, None],
        wanted: int,
    ) -> list[tuple[str, float]]:
        """``scored`` with its best ``FEEDBACK_RERANK`` ranked again with the feedback words;
        when they were fewer than ``wanted``, with pages holding those words added."""
        fed = ranking.with_feedback(query, rows, scored, stats)
        added = fed.concepts[len(query.concepts) :]
        if not added:
            return scored
        best = {key for key, _ in scored[: ranking.FEEDBACK_RERANK]}
        again = [row for row in rows if row[1] in best]
        if len(rows) < wanted:  # pages holding none of the typed words, but the best's own
            known = {row[0] for row in rows}
            words = " OR ".join(self._expression(concept) for concept in added)
            extra = self._gather(f"{base} AND ({words})", dict.fromkeys(known))
            again += self._rows({rowid: None for rowid in extra if rowid not in known})
        ranked = ranking.bm25f(again, stats, fed, with_every)
        done = {key for key, _ in ranked}
        return ranked + [item for item in scored if item[0] not in done]

    def _gather(self, expression: str, found: dict[int, None]) -> dict[int, None]:
        """Add the matches to ``found``, up to ``CANDIDATE_CAP``: those matching in the title
        or tags first, then the others."""
        for table in ("search_fts_heads", "search_fts"):
            if len(found) >= self.CANDIDATE_CAP:
                break
            for rowid in self._rowids(expression, self.CANDIDATE_CAP, table):
                found.setdefault(rowid)
                if len(found) >= self.CANDIDATE_CAP:
                    break
        return found

    def _count(self, expression: str, limit: int) -> int:
        statement = (
            "SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH ? LIMIT ?)"
        )
        return _read(statement, (expression, limit))[0][0]

    def _rows(self, rowids: dict[int, None]) -> list[ranking.Candidate]:
        """The candidates' stored text."""
        return _read(
            "SELECT id, doc_key, title, tags, questions, body"
            " FROM search_documents WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(rowids)),),
        )

    def has_term(self, source: str, locale: str | None, word: str) -> bool:
        """True when some document holds the word once stemmed (so it is no typo)."""
        stemmed = stem([word], locale)[0] if locale else word
        expression = f'{self._filter(source, locale, None)} AND "{stemmed}"'
        return bool(self._rowids(expression, 1))


#: On PostgreSQL, how much a match of words meaning the same as those typed counts.
SYNONYM_RANK_WEIGHT = 0.5


class PostgresBackend:
    """PostgreSQL text search: ``french``/``english`` stemming on ``unaccent``ed text, GIN
    indexes over every field and over the titles, ``websearch_to_tsquery``; at most
    ``CANDIDATE_CAP`` matches are ranked, found and scored in one statement
    (:mod:`.postgres_statement`).

    The scope tokens (source, language, facet) are part of the ``tsvector`` too, so the GIN
    index finds the matches of one source and language by itself, never by reading rows."""

    name = "postgresql"
    # ts_rank reads each candidate's whole tsvector: fewer candidates.
    CANDIDATE_CAP = 100
    TITLE_CAP = 50  # of the candidates of a tier, at most this many found by their title
    COUNT_CAP = 300  # counting reads the matches: past this the page says "300+"
    # Its posting list is read in well under a millisecond, where a common word's takes a few.
    RARE_WORD_DOCUMENTS = 2_000

    def stored_text(self, text: str, locale: str) -> str:
        return text  # PostgreSQL folds and stems it in the generated tsvector column

    def kept_body_text(self, body: str) -> str | None:
        return None  # ``body`` is the text as written

    def passages(self, source: str, keys: list[str], locale: str) -> dict[str, Passage]:
        rows = db.session.execute(
            sa.select(SearchDocument.doc_key, SearchDocument.body).where(
                SearchDocument.source == source,
                SearchDocument.locale == locale,
                SearchDocument.doc_key.in_(keys),
            )
        )
        return {key: Passage(unicodedata.normalize("NFC", text)) for key, text in rows}

    def _config(self, locale: str | None) -> sa.ColumnElement:
        return sa.func.supportdesk_tsconfig(sa.literal(locale) if locale else SearchDocument.locale)

    def _scope_tokens(self, source: str, locale: str | None, facet: str | None) -> str:
        tokens = [scope_token(source, locale)] + ([facet_token(source, facet)] if facet else [])
        return " & ".join(tokens)  # letters and digits only: tsquery text as it is

    def _scope(self, source: str, locale: str | None, facet: str | None) -> sa.ColumnElement:
        return sa.func.to_tsquery("simple", self._scope_tokens(source, locale, facet))

    def _tsquery(
        self, terms: list[str], every: bool, prefix_last: bool, config: sa.ColumnElement
    ) -> sa.ColumnElement:
        if prefix_last:  # the words are folded \\w+ runs, so they cannot carry tsquery syntax
            parts = [*terms[:-1], f"{terms[-1]}:*"]
            return sa.func.to_tsquery(config, (" & " if every else " | ").join(parts))
        text = (" " if every else " or ").join(terms)
        return sa.func.websearch_to_tsquery(config, sa.func.supportdesk_unaccent(text))

    def _ids(self, wanted: sa.ColumnElement, scope: sa.ColumnElement, limit: int) -> list[int]:
        """The ids of the first ``limit`` documents matching ``wanted`` in ``scope``."""
        tsv = sa.literal_column("search_documents.tsv")
        # A MATERIALIZED CTE is planned on its own, without the LIMIT: a LIMIT in sight makes
        # the planner read rows until enough match, which is every row when none does. Alone,
        # it takes the GIN index for a rare word and still stops early for a common one.
        matches = (
            sa.select(SearchDocument.id)
            .where(tsv.op("@@")(wanted.op("&&")(scope)))
            .cte("matches")
            .prefix_with("MATERIALIZED")
        )
        return list(db.session.scalars(sa.select(matches).limit(limit)))

    def has_term(self, source: str, locale: str | None, word: str) -> bool:
        """True when some document holds the word once stemmed (so it is no typo)."""
        return bool(
            self._ids(
                sa.func.to_tsquery(self._config(locale), word), self._scope(source, locale, None), 1
            )
        )

    def matching_ids(
        self, source: str, terms: list[str], locale: str | None, every_word: bool
    ) -> sa.Select:
        tsv = sa.literal_column("search_documents.tsv")
        wanted = self._tsquery(terms, every_word, False, self._config(locale))
        scope = self._scope(source, locale, None)
        return sa.select(SearchDocument.doc_key).where(tsv.op("@@")(wanted.op("&&")(scope)))

    def _concepts_tsquery(
        self,
        concepts: list[Concept],
        every: bool,
        prefix_last: bool,
        weights: tuple[float, ...] | None = (1.0,),
    ) -> str | None:
        """The concepts' alternatives that have one of ``weights`` (typed words: 1.0; None:
        all), joined with AND (the required concepts, when ``every``: None when one has no
        such alternative) or OR, as tsquery text. A phrase is its words in a row; the words
        are folded ``\\w+`` runs, so they cannot carry tsquery syntax."""
        last = max(i for i, c in enumerate(concepts) if c.typed)
        parts = []
        for i, concept in enumerate(concepts):
            if every and not concept.required:
                continue
            found = [words for words, w in concept.alternatives if weights is None or w in weights]
            if every and not found:
                return None
            if prefix_last and i == last and found:
                found[0] = f"{found[0]}:*"
            if found:
                parts.append("(" + " | ".join(w.replace(" ", " <-> ") for w in found) + ")")
        return (" & " if every else " | ").join(parts) if parts else None

    def _ranks(
        self, concepts: list[Concept], locale: str | None, source: str, prefix_last: bool
    ) -> list[tuple[str, float]]:
        """Each concept's ``ts_rank`` (title, then tags and questions, then body; lengths
        normalised by their logarithm) weighed by its rarest word's idf, as BM25 would: a
        common word of a long question says little. Alternatives meaning the same as the
        typed word count ``SYNONYM_RANK_WEIGHT``."""
        stats = corpus_stats(source, locale)
        last = max(i for i, c in enumerate(concepts) if c.typed)
        ranks = []
        for i, concept in enumerate(concepts):
            for wanted_typed in (True, False):
                found = [
                    words
                    for words, weight in concept.alternatives
                    if (weight == 1.0) == wanted_typed
                ]
                if not found:
                    continue
                stems = [
                    s
                    for words in found
                    for s in (stem(words.split(), locale) if locale else words.split())
                ]
                idf = max(stats.idf(s) for s in stems)
                if prefix_last and i == last and wanted_typed:
                    found[0] = f"{found[0]}:*"
                text = " | ".join(w.replace(" ", " <-> ") for w in found)
                ranks.append((text, idf * (1.0 if wanted_typed else SYNONYM_RANK_WEIGHT)))
        return ranks

    def _typed_held(
        self, concepts: list[Concept], source: str, locale: str | None, prefix_last: bool
    ) -> list[tuple[str, int | None]]:
        """Each typed alternative, with how many documents of the source and language hold its
        commonest word (corpus statistics); None for the word being typed, which may begin
        many others."""
        stats = corpus_stats(source, locale)
        last = max(i for i, c in enumerate(concepts) if c.typed)
        held: list[tuple[str, int | None]] = []
        for i, concept in enumerate(concepts):
            for words, weight in concept.alternatives:
                if weight != 1.0:
                    continue
                if prefix_last and i == last:
                    held.append((words, None))
                    continue
                stems = stem(words.split(), locale) if locale else words.split()
                held.append((words, max(stats.frequencies.get(s, 0) for s in stems)))
        return held

    def _rare_typed(self, held: list[tuple[str, int | None]]) -> str | None:
        """The typed words held by at most ``RARE_WORD_DOCUMENTS`` documents, joined with OR
        (a phrase when each of its words is): None when there are none, or only those."""
        rare = [
            w.replace(" ", " <-> ")
            for w, n in held
            if n is not None and n <= self.RARE_WORD_DOCUMENTS
        ]
        common = any(n is None or n > self.RARE_WORD_DOCUMENTS for _, n in held)
        return " | ".join(rare) if rare and common else None

    def _typed_at_least(self, held: list[tuple[str, int | None]], locale: str | None) -> int:
        """How many documents hold some typed word, at least: the most any one word is held
        by (a word being typed, a phrase or a stop word, which the index drops, gives no
        bound)."""
        stop = STOPWORDS.get(locale or "", set())
        return max(
            (n for w, n in held if n is not None and " " not in w and w not in stop), default=0
        )

    def search(
        self,
        source: str,
        concepts: list[Concept],
        locale: str | None,
        *,
        facet: str | None,
        prefix_last: bool,
        limit: int,
        offset: int,
        feedback: bool = False,
        all_words_first: bool = True,
    ) -> Ranked:
        every = self._concepts_tsquery(concepts, True, prefix_last, None)
        every_typed = self._concepts_tsquery(concepts, True, prefix_last)
        typed = self._concepts_tsquery(concepts, False, prefix_last)
        synonyms = {w for c in concepts for _, w in c.alternatives if w != 1.0}
        related = (
            self._concepts_tsquery(concepts, False, False, tuple(synonyms)) if synonyms else None
        )
        if typed is None and related is None:
            return Ranked([], [], 0)
        # Past COUNT_CAP the page says "300+": when the statistics show that many pages hold
        # a typed word, they need no counting (a facet's pages are not in the statistics).
        held = self._typed_held(concepts, source, locale, prefix_last)
        known = 0 if facet else self._typed_at_least(held, locale)
        plan = postgres_statement.Plan(
            locale=locale,
            scope=self._scope_tokens(source, locale, facet),
            every=every,
            every_typed=every_typed if every_typed != every else None,
            typed=typed,
            rare_typed=self._rare_typed(held),
            related=related,
            # As on SQLite: documents with only some words are needed when the others do not
            # fill the page.
            fill_below=offset + limit if len(concepts) > 1 or every is None else None,
            count_typed=known <= self.COUNT_CAP,
            ranks=self._ranks(concepts, locale, source, prefix_last),
            bonus=ALL_WORDS_BONUS if all_words_first else None,
            title_limit=self.TITLE_CAP,
            candidate_limit=self.CANDIDATE_CAP,
            count_limit=self.COUNT_CAP + 1,
        )
        page = postgres_statement.run(plan, limit, offset)
        if not page.candidates:
            return Ranked([], [], 0)
        known = self.COUNT_CAP + 1 if known > self.COUNT_CAP else 0
        total = max(page.candidates, page.typed, known)
        shown = reachable(page.candidates, total, self.CANDIDATE_CAP)
        return Ranked(page.keys, [-score for score in page.scores], total, shown)


def _read(statement: str, parameters: tuple) -> list[tuple]:
    """The rows of a read, through the driver's own cursor on the session's connection: a
    search runs a few small statements, and SQLAlchemy's work for each costs more than the
    database's. Parameters are positional (``?`` on SQLite)."""
    cursor = db.session.connection().connection.cursor()
    try:
        return cursor.execute(statement, parameters).fetchall()
    finally:
        cursor.close()


def backend() -> SqliteBackend | PostgresBackend:
    return (
        PostgresBackend() if db.session.get_bind().dialect.name == "postgresql" else SqliteBackend()
    )
