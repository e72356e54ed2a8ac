"""Embeddings kept in step with the search index, and the documents nearest to a query.

The hooks call these inside the index's own transaction: a document's embedding is written,
replaced or deleted with its index row. The model runs before anything is written, and the
writes go through a savepoint: a failure rolls back this plugin's rows only, never the
caller's transaction (on PostgreSQL a failed statement would otherwise spoil all of it).
A text already embedded by the same model is never embedded again: rebuilding a source
(``supportdesk reindex``) reuses the vectors of the documents whose text did not change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

import numpy as np
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import utcnow

from .embedder import Embedder
from .models import Embedding


def document_text(document, max_chars: int) -> str:
    """What the model reads of a search document: title, tags, questions, then the body."""
    parts = [
        document.title,
        ", ".join(document.tags),
        *getattr(document, "questions", ()),
        document.body,
    ]
    return "\n".join(part.strip() for part in parts if part and part.strip())[:max_chars]


def digest(model: Embedder, text: str) -> str:
    return hashlib.sha256(f"{model.name}\n{text}".encode()).hexdigest()


def _row(source: str, key: str, locale: str) -> Embedding | None:
    return db.session.scalar(
        sa.select(Embedding).where(
            Embedding.source == source, Embedding.doc_key == key, Embedding.locale == locale
        )
    )


def store(
    model: Embedder,
    documents: list,
    max_chars: int,
    reuse: Mapping[str, bytes] | None = None,
) -> int:
    """Embed and write the documents that have no embedding by this model of their current
    text (``reuse``: vectors by digest, from before a rebuild); returns how many went through
    the model."""
    texts = [document_text(document, max_chars) for document in documents]
    digests = [digest(model, text) for text in texts]
    reuse = reuse or {}
    rows = [_row(d.source, d.key, d.locale) for d in documents]
    stale = [
        i
        for i, row in enumerate(rows)
        if row is None or (row.digest, row.model) != (digests[i], model.name)
    ]
    todo = [i for i in stale if digests[i] not in reuse]
    vectors = dict(zip(todo, model.passages([texts[i] for i in todo]), strict=True))
    with db.session.begin_nested():
        for i in stale:
            vector = reuse.get(digests[i]) or vectors[i].tobytes()
            values = {
                "model": model.name,
                "digest": digests[i],
                "vector": vector,
                "updated_at": utcnow(),
            }
            if rows[i] is None:
                document = documents[i]
                db.session.add(
                    Embedding(
                        source=document.source,
                        doc_key=document.key,
                        locale=document.locale,
                        **values,
                    )
                )
            else:
                for name, value in values.items():
                    setattr(rows[i], name, value)
    return len(todo)


def remove(source: str, key: str, locale: str | None) -> None:
    statement = sa.delete(Embedding).where(Embedding.source == source, Embedding.doc_key == key)
    if locale:
        statement = statement.where(Embedding.locale == locale)
    with db.session.begin_nested():
        db.session.execute(statement)


def clear(source: str) -> dict[str, bytes]:
    """Delete a source's embeddings; returns them by digest, for the rebuild to reuse."""
    kept = dict(
        db.session.execute(
            sa.select(Embedding.digest, Embedding.vector).where(Embedding.source == source)
        ).all()
    )
    with db.session.begin_nested():
        db.session.execute(sa.delete(Embedding).where(Embedding.source == source))
    return kept


def remove_others(source: str, keep: Iterable[tuple[str, str]]) -> int:
    """Delete the embeddings of ``source`` whose ``(key, locale)`` is not in ``keep``."""
    keep = set(keep)
    gone = [
        row_id
        for row_id, key, locale in db.session.execute(
            sa.select(Embedding.id, Embedding.doc_key, Embedding.locale).where(
                Embedding.source == source
            )
        )
        if (key, locale) not in keep
    ]
    for start in range(0, len(gone), 500):
        db.session.execute(sa.delete(Embedding).where(Embedding.id.in_(gone[start : start + 500])))
    return len(gone)


def nearest(
    model: Embedder, source: str, text: str, locale: str | None, limit: int
) -> list[tuple[str, float]]:
    """The ``limit`` documents of ``source`` nearest to ``text``, as ``(key, similarity)``,
    most similar first; the similarity is the cosine, below zero counted as zero. A key in
    several languages (``locale`` None) counts with its best."""
    keys, matrix = _matrix(model, source, locale)
    if not keys or limit <= 0:
        return []
    similarities = matrix @ model.query(text)
    found: dict[str, float] = {}
    for i in np.argsort(-similarities, kind="stable").tolist():
        found.setdefault(keys[i], min(1.0, max(0.0, float(similarities[i]))))
        if len(found) == limit:
            break
    return list(found.items())


#: Per process, the vectors of each source, language and model, and the stamp they were read
#: at: they are read again only when a row changed (10,000 vectors: 0.1 to 0.2 s). Measured on
#: two busy cores, a search's scan took 1 ms (SQLite) to 6 ms (PostgreSQL) for 1,000
#: documents, 16 to 19 ms for 10,000.
_matrices: dict[tuple, tuple[tuple, list[str], np.ndarray]] = {}


def _matrix(model: Embedder, source: str, locale: str | None) -> tuple[list[str], np.ndarray]:
    where = [Embedding.source == source, Embedding.model == model.name]
    if locale:
        where.append(Embedding.locale == locale)
    # Every insert and update sets ``updated_at`` to now (as far as hosts' clocks agree), and
    # a delete lowers the count.
    stamp = tuple(
        db.session.execute(
            sa.select(
                sa.func.count(), sa.func.max(Embedding.id), sa.func.max(Embedding.updated_at)
            ).where(*where)
        ).one()
    )
    key = (str(db.engine.url), source, locale, model.name)
    cached = _matrices.get(key)
    if cached is None or cached[0] != stamp:
        size = model.dim * 4
        rows = [
            (doc_key, vector)
            for doc_key, vector in db.session.execute(
                sa.select(Embedding.doc_key, Embedding.vector).where(*where)
            )
            if len(vector) == size
        ]
        matrix = np.frombuffer(b"".join(vector for _, vector in rows), dtype=np.float32)
        cached = _matrices[key] = (stamp, [k for k, _ in rows], matrix.reshape(-1, model.dim))
    return cached[1], cached[2]
