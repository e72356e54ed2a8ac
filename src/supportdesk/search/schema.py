"""The full-text structures beside ``search_documents``, one shape per database.

SQLite: an FTS5 table over the documents and a smaller one over their titles, tags and questions (external
content, kept in step by triggers), with the ``unicode61`` tokenizer folding accents.
PostgreSQL: a stored ``tsvector`` column with field weights and a GIN index, and a smaller one
over the titles. ``install`` is idempotent; migrations and test databases both call it.
"""

from __future__ import annotations

from sqlalchemy import Connection

SQLITE_DDL = [
    # ``scope`` holds one token for the document's source and language and one for its facet,
    # so that filtering happens inside the full-text index rather than after it.
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        scope, title, tags, questions, body, content='search_documents', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    # Titles, tags and questions alone: "every word in the title or tags" reads only the
    # documents that have a word there, where ``search_fts`` would read every one holding it.
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts_heads USING fts5(
        scope, title, tags, questions, content='search_documents', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_heads_ai AFTER INSERT ON search_documents
    BEGIN
        INSERT INTO search_fts_heads(rowid, scope, title, tags, questions)
        VALUES (new.id, new.scope, new.title, new.tags, new.questions);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_heads_ad AFTER DELETE ON search_documents
    BEGIN
        INSERT INTO search_fts_heads(search_fts_heads, rowid, scope, title, tags, questions)
        VALUES ('delete', old.id, old.scope, old.title, old.tags, old.questions);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_heads_au
    AFTER UPDATE OF scope, title, tags, questions ON search_documents BEGIN
        INSERT INTO search_fts_heads(search_fts_heads, rowid, scope, title, tags, questions)
        VALUES ('delete', old.id, old.scope, old.title, old.tags, old.questions);
        INSERT INTO search_fts_heads(rowid, scope, title, tags, questions)
        VALUES (new.id, new.scope, new.title, new.tags, new.questions);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_ai AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_fts(rowid, scope, title, tags, questions, body)
        VALUES (new.id, new.scope, new.title, new.tags, new.questions, new.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_ad AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_fts(search_fts, rowid, scope, title, tags, questions, body)
        VALUES ('delete', old.id, old.scope, old.title, old.tags, old.questions, old.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_au AFTER UPDATE ON search_documents BEGIN
        INSERT INTO search_fts(search_fts, rowid, scope, title, tags, questions, body)
        VALUES ('delete', old.id, old.scope, old.title, old.tags, old.questions, old.body);
        INSERT INTO search_fts(rowid, scope, title, tags, questions, body)
        VALUES (new.id, new.scope, new.title, new.tags, new.questions, new.body);
    END""",
]

POSTGRES_DDL = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Generated columns need immutable functions; unaccent() is only stable (it reads its
    # dictionary by name), so it is called with the dictionary named, inside an immutable one.
    """CREATE OR REPLACE FUNCTION supportdesk_unaccent(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$""",
    """CREATE OR REPLACE FUNCTION supportdesk_tsconfig(text) RETURNS regconfig
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT CASE $1 WHEN 'fr' THEN 'pg_catalog.french'::regconfig
                             WHEN 'en' THEN 'pg_catalog.english'::regconfig
                             ELSE 'pg_catalog.simple'::regconfig END $$""",
    """ALTER TABLE search_documents ADD COLUMN IF NOT EXISTS tsv tsvector
        GENERATED ALWAYS AS (
            setweight(to_tsvector(supportdesk_tsconfig(locale), supportdesk_unaccent(coalesce(title, ''))), 'A') ||
            setweight(to_tsvector(supportdesk_tsconfig(locale), supportdesk_unaccent(coalesce(tags, ''))), 'B') ||
            setweight(to_tsvector(supportdesk_tsconfig(locale), supportdesk_unaccent(coalesce(questions, ''))), 'B') ||
            setweight(to_tsvector(supportdesk_tsconfig(locale), supportdesk_unaccent(coalesce(body, ''))), 'C') ||
            setweight(to_tsvector('pg_catalog.simple', coalesce(scope, '')), 'D')
        ) STORED""",
    # Without fastupdate, a new document goes straight into the index; with it, it waits in a
    # pending list that every search reads in full until a vacuum merges it (4 ms a search at
    # 1,000 pending documents). Searches are far more frequent than writes here.
    "CREATE INDEX IF NOT EXISTS ix_search_documents_tsv ON search_documents USING gin (tsv)"
    " WITH (fastupdate = off)",
    "ALTER INDEX ix_search_documents_tsv SET (fastupdate = off)",  # for an index made before
    # The titles alone, with the scope tokens: a page whose title holds a word of the query is
    # found among thousands whose body holds it, from posting lists a fraction as long.
    """ALTER TABLE search_documents ADD COLUMN IF NOT EXISTS title_tsv tsvector
        GENERATED ALWAYS AS (
            setweight(to_tsvector(supportdesk_tsconfig(locale), supportdesk_unaccent(coalesce(title, ''))), 'A') ||
            setweight(to_tsvector('pg_catalog.simple', coalesce(scope, '')), 'D')
        ) STORED""",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_title_tsv ON search_documents"
    " USING gin (title_tsv) WITH (fastupdate = off)",
    # GiST, not GIN: it answers "the nearest words to this one" (ORDER BY <->) from the index.
    "CREATE INDEX IF NOT EXISTS ix_search_terms_trgm ON search_terms USING gist (term gist_trgm_ops)",
]

#: Names the ORM does not describe; migration checks leave them alone.
UNMODELLED_TABLE_PREFIX = "search_fts"
UNMODELLED_COLUMNS = {("search_documents", "tsv"), ("search_documents", "title_tsv")}
UNMODELLED_INDEXES = {
    "ix_search_documents_tsv",
    "ix_search_documents_title_tsv",
    "ix_search_terms_trgm",
}


#: Revision 0006 added PostgreSQL's titles index: the statements naming this column.
TITLES_COLUMN = "title_tsv"

# Revision 0005 added the questions field; the revisions before it build the shape they knew.
_WITHOUT_QUESTIONS = [
    (" questions,", ""),
    (", questions)", ")"),
    (", questions ON", " ON"),
    (", new.questions", ""),
    (", old.questions", ""),
]


def _without_questions(statement: str) -> str:
    statement = "\n".join(line for line in statement.split("\n") if "(questions" not in line)
    for old, new in _WITHOUT_QUESTIONS:
        statement = statement.replace(old, new)
    return statement


def install(connection: Connection, *, questions: bool = True, titles: bool = True) -> None:
    """Create what is missing. ``questions=False`` builds the shape before revision 0005 and
    ``titles=False`` the shape before revision 0006 (for the migrations that came before)."""
    statements = SQLITE_DDL if connection.dialect.name == "sqlite" else POSTGRES_DDL
    for statement in statements:
        if titles or TITLES_COLUMN not in statement:
            connection.exec_driver_sql(statement if questions else _without_questions(statement))


def is_modelled(name: str | None, type_: str, parent: str | None = None) -> bool:
    """For Alembic's ``include_name``: skip the FTS tables and the generated column."""
    if type_ == "table" and name and name.startswith(UNMODELLED_TABLE_PREFIX):
        return False
    if type_ == "index" and name in UNMODELLED_INDEXES:
        return False
    return not (type_ == "column" and (parent, name) in UNMODELLED_COLUMNS)
