"""The full-text structures beside ``search_documents``, one shape per database.

SQLite: an FTS5 table over the documents (external content, kept in step by triggers), with the
``unicode61`` tokenizer folding accents. PostgreSQL: a stored ``tsvector`` column with field
weights and a GIN index. ``install`` is idempotent; migrations and test databases both call it.
"""

from __future__ import annotations

from sqlalchemy import Connection

SQLITE_DDL = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        title, tags, body, content='search_documents', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_ai AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_fts(rowid, title, tags, body)
        VALUES (new.id, new.title, new.tags, new.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_ad AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, tags, body)
        VALUES ('delete', old.id, old.title, old.tags, old.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_au AFTER UPDATE ON search_documents BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, tags, body)
        VALUES ('delete', old.id, old.title, old.tags, old.body);
        INSERT INTO search_fts(rowid, title, tags, body)
        VALUES (new.id, new.title, new.tags, new.body);
    END""",
]

POSTGRES_DDL = [
    """ALTER TABLE search_documents ADD COLUMN IF NOT EXISTS tsv tsvector
        GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', coalesce(title, '')), 'A') ||
            setweight(to_tsvector('simple', coalesce(tags, '')), 'B') ||
            setweight(to_tsvector('simple', coalesce(body, '')), 'C')
        ) STORED""",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_tsv ON search_documents USING gin (tsv)",
]

#: Names the ORM does not describe; migration checks leave them alone.
UNMODELLED_TABLE_PREFIX = "search_fts"
UNMODELLED_COLUMNS = {("search_documents", "tsv")}
UNMODELLED_INDEXES = {"ix_search_documents_tsv"}


def install(connection: Connection) -> None:
    statements = SQLITE_DDL if connection.dialect.name == "sqlite" else POSTGRES_DDL
    for statement in statements:
        connection.exec_driver_sql(statement)


def is_modelled(name: str | None, type_: str, parent: str | None = None) -> bool:
    """For Alembic's ``include_name``: skip the FTS tables and the generated column."""
    if type_ == "table" and name and name.startswith(UNMODELLED_TABLE_PREFIX):
        return False
    if type_ == "index" and name in UNMODELLED_INDEXES:
        return False
    return not (type_ == "column" and (parent, name) in UNMODELLED_COLUMNS)
