"""The plugin's one table: an embedding per indexed document, beside the core's search index."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from supportdesk.extensions import db
from supportdesk.models import UTCDateTime, utcnow


class Embedding(db.Model):
    """The embedding of one document of the search index (same source, key and language).

    ``vector`` is float32 bytes, L2-normalised, so a dot product is the cosine. Neither the
    SQLite build here (no extension loading) nor the PostgreSQL server (no ``vector``
    extension) offers a vector type, so nearest documents are found by a scan in numpy."""

    __tablename__ = "semantic_embeddings"
    __table_args__ = (
        sa.UniqueConstraint("source", "doc_key", "locale", name="uq_semantic_embeddings_document"),
        # What a search reads to know whether its vectors in memory are current, without
        # reading the rows and their vectors (see ``embeddings.nearest``).
        sa.Index("ix_semantic_embeddings_stamp", "source", "model", "locale", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(64))
    doc_key: Mapped[str] = mapped_column(sa.String(200))
    locale: Mapped[str] = mapped_column(sa.String(8))
    # Which model made the vector: another model's vectors are not comparable with a query's.
    model: Mapped[str] = mapped_column(sa.String(200))
    # Of the model and the text embedded: an unchanged document is never embedded again.
    digest: Mapped[str] = mapped_column(sa.String(64))
    vector: Mapped[bytes] = mapped_column(sa.LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
