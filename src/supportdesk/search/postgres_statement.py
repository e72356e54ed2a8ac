"""The one statement a search runs on PostgreSQL: its candidates, their number and their page.

Candidates are found by id in tiers: pages holding every required word, then, only when those do
not fill the page asked for (``fill_below``), pages holding some typed word, then a word
meaning the same. In each tier, pages whose title holds the words come first, found in the
titles index: however many bodies hold a word, a title holding it is ranked. Each tier is
picked, up to a limit, from a MATERIALIZED CTE of its matches. PostgreSQL evaluates a CTE only
as far as it is read, and a LIMIT over a UNION ALL stops at the branches that fill it, so a
tier that is not needed costs nothing. A MATERIALIZED CTE is also planned on its own, without
the LIMIT: a LIMIT in sight makes the planner read rows until enough match, which is every row
when none does. Alone, it takes the GIN index.

Only the candidates are scored, each one's ``tsvector`` read once for all its ``ts_rank``.
SQL is put together here from fragments of this module only; every value is a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..extensions import db


@dataclass(frozen=True)
class Plan:
    """What to look for: tsquery texts (folded words; a phrase is ``a <-> b``), each read by
    ``to_tsquery`` in the search's language after ``unaccent``. ``scope``: the scope tokens.

    ``every_typed``: the typed words of ``every``, without the words meaning the same, when
    they differ: gathered before them, the typed words' posting lists are often all that is
    read. ``rare_typed``: the typed words that few documents hold, gathered before the
    others: the best candidates (they weigh the most), from short posting lists. ``fill_below``:
    the some-word tiers are read when fewer pages than this hold every word
    (always when no word is required; never when None). ``count_typed``: count the pages
    holding some typed word, up to ``count_limit``, for the page to say how many there are.
    ``ranks``: ``(tsquery, weight)``, summed as ``weight × ts_rank``; ``bonus``: added to the
    pages matching ``every``."""

    locale: str | None
    scope: str
    every: str | None
    every_typed: str | None
    typed: str | None
    rare_typed: str | None
    related: str | None
    fill_below: int | None
    count_typed: bool
    ranks: list[tuple[str, float]]
    bonus: float | None
    title_limit: int
    candidate_limit: int
    count_limit: int


@dataclass
class Page:
    keys: list[str]
    scores: list[float]
    candidates: int
    typed: int  # pages holding some typed word, when counted (else 0)


def run(plan: Plan, limit: int, offset: int) -> Page:
    sql, parameters = statement(plan, limit, offset)
    rows = db.session.execute(sa.text(sql), parameters).all()
    found = [row for row in rows if row[0] is not None]
    candidates, typed = rows[0][2], rows[0][3] or 0
    return Page([row[0] for row in found], [float(row[1]) for row in found], candidates, typed)


def statement(plan: Plan, limit: int, offset: int) -> tuple[str, dict]:
    """The SQL and its parameters (for ``EXPLAIN`` too)."""
    built = _Statement(plan)
    built.parameters.update(
        locale=plan.locale,
        scope=plan.scope,
        title_limit=plan.title_limit,
        candidate_limit=plan.candidate_limit,
        count_limit=plan.count_limit,
        fill_below=plan.fill_below,
        bonus=plan.bonus,
        limit=limit,
        offset=offset,
    )
    every = _every_tier(built)
    typed = built.matches("typed", "tsv", plan.typed) if plan.typed is not None else None
    if plan.fill_below is not None:
        _some_tier(built, typed, every)
    union = " UNION ALL ".join(f"({_select('id', pick)})" for pick in built.picks)
    built.ctes.append(f"candidates AS MATERIALIZED ({union} LIMIT :candidate_limit)")
    built.ctes.append(f"scored AS ({_scored(built)})")
    counted = "NULL"
    if plan.count_typed and typed is not None:
        counted = f"({_select('count(*)', f'({_select(1, typed)} LIMIT :count_limit) AS c')})"
        if every and plan.fill_below is None:
            # One concept: the pages holding its typed words hold it, and are all candidates
            # unless the candidates are as many as they may be.
            full = f"{_count(['candidates'])} >= :candidate_limit"
            counted = f"CASE WHEN {full} THEN {counted} END"
    # Ties in the order Python sorts strings, as the pages were sorted before.
    order = 'ORDER BY score DESC, doc_key COLLATE "C"'
    page = f"({_select('doc_key, score', 'scored')} {order} LIMIT :limit OFFSET :offset) AS page"
    columns = f"page.doc_key, page.score, {_count(['candidates'])}, {counted}"
    outer = _select(columns, f"({_select(1)}) AS one LEFT JOIN {page} ON true")
    return f"WITH {', '.join(built.ctes)} {outer} {order}", built.parameters


def _select(columns: str | int, source: str = "", *conditions: str) -> str:
    """``SELECT columns FROM source WHERE conditions``, of names and SQL from this module:
    every value is a parameter."""
    sql = f"SELECT {columns}" + (f" FROM {source}" if source else "")  # noqa: S608  # nosec B608
    return sql + (f" WHERE {' AND '.join(conditions)}" if conditions else "")


def _count(names: list[str]) -> str:
    return " + ".join(f"({_select('count(*)', name)})" for name in names)


@dataclass
class _Statement:
    """The CTEs and parameters of one statement, put together in order."""

    plan: Plan
    parameters: dict = field(default_factory=dict)
    ctes: list[str] = field(default_factory=list)
    picks: list[str] = field(default_factory=list)

    def query(self, name: str, text: str) -> str:
        self.parameters[name] = text
        config = ":locale" if self.plan.locale else "locale"
        return f"to_tsquery(supportdesk_tsconfig({config}), supportdesk_unaccent(:{name}))"

    def matches(self, name: str, column: str, text: str) -> str:
        """A CTE of the ids of the documents in scope whose ``column`` matches ``text``."""
        wanted = f"{column} @@ ({self.query(name, text)} && to_tsquery('simple', :scope))"
        self.ctes.append(f"{name} AS MATERIALIZED ({_select('id', 'search_documents', wanted)})")
        return name

    def pick(self, matches: str, limit: str, gate: str | None = None) -> str:
        """Up to ``limit`` of ``matches`` not picked before (each pick before is read whole
        by then: its branch comes first)."""
        name = f"pick_{len(self.picks)}"
        where = [f"id NOT IN ({_select('id', pick)})" for pick in self.picks]
        picked = _select("id", matches, *([gate] if gate else []), *where)
        self.ctes.append(f"{name} AS MATERIALIZED ({picked} LIMIT :{limit})")
        self.picks.append(name)
        return name


def _every_tier(built: _Statement) -> list[str]:
    """The picks of pages holding every required word: by their title, then by any field
    (with the words typed first)."""
    plan = built.plan
    if plan.every is None:
        return []
    picks = [built.pick(built.matches("titled_every", "title_tsv", plan.every), "title_limit")]
    if plan.every_typed is not None:
        typed = built.matches("every_typed", "tsv", plan.every_typed)
        picks.append(built.pick(typed, "candidate_limit"))
    picks.append(built.pick(built.matches("every", "tsv", plan.every), "candidate_limit"))
    return picks


def _some_tier(built: _Statement, typed: str | None, every: list[str]) -> None:
    """Pages holding some typed word (by their title, then a rare word, then any), then a word
    meaning the same: read only when the pages holding every word are fewer than the page
    needs."""
    plan = built.plan
    gate = f"{_count(every)} < :fill_below" if every else None
    if typed is not None:
        titled = built.matches("titled_typed", "title_tsv", plan.typed)
        built.pick(titled, "title_limit", gate)
        if plan.rare_typed is not None:
            rare = built.matches("rare_typed", "tsv", plan.rare_typed)
            built.pick(rare, "candidate_limit", gate)
        built.pick(typed, "candidate_limit", gate)
    if plan.related is not None:
        built.pick(built.matches("related", "tsv", plan.related), "candidate_limit", gate)


def _scored(built: _Statement) -> str:
    """Each candidate's score. ``tsv || ''`` reads its tsvector (compressed, often out of
    line) once, where each ``ts_rank`` would read it again."""
    plan, terms = built.plan, []
    for n, (text, weight) in enumerate(plan.ranks):
        built.parameters[f"weight_{n}"] = weight
        terms.append(f":weight_{n} * ts_rank(candidate.tsv, {built.query(f'rank_{n}', text)}, 1)")
    if plan.bonus is not None and plan.every is not None:
        every = built.query("bonus_every", plan.every)
        terms.append(f"CASE WHEN candidate.tsv @@ {every} THEN :bonus ELSE 0 END")
    candidates = _select(
        "doc_key, locale, tsv || ''::tsvector AS tsv",
        "search_documents",
        f"id IN ({_select('id', 'candidates')})",
    )
    return _select(
        f"doc_key, {' + '.join(terms) or '0'} AS score", f"({candidates} OFFSET 0) AS candidate"
    )
