"""The semantic plugin on the shipped model, on SQLite and on PostgreSQL (when
``SUPPORTDESK_TEST_DATABASE_URL`` names one): off unless enabled, embeddings in step with the
index, paraphrases found, and a failing model that never breaks indexing or a search."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from supportdesk_semantic import settings
from supportdesk_semantic.embedder import Embedder, embedder
from supportdesk_semantic.models import Embedding

from supportdesk import search
from supportdesk.database import write_transaction
from supportdesk.extensions import db
from supportdesk.plugins import PluginError, plugin_host
from supportdesk.search.analysis import query_words, words
from supportdesk.testing import database_url_for_tests, reset_postgres_schema
from supportdesk_helpcenter import articles
from supportdesk_helpcenter.articles import ArticleData

SOURCE = "notes"
NOTES = {
    "outside-contact": (
        "Buyers asking to talk outside the marketplace",
        "Some buyers ask for a phone number or a personal email address to pay directly. "
        "Refuse politely and keep every conversation in the marketplace messages.",
    ),
    "tracking": (
        "Add a tracking number",
        "Enter the carrier and the tracking number on the order page once the parcel left.",
    ),
    "refunds": (
        "Refund a buyer",
        "Open the order and choose Refund; partial refunds are possible.",
    ),
    "fees": ("Seller fees", "Each sale costs a commission on the order total."),
    "holiday": ("Holiday mode", "Pause your listings while you are away."),
}
PARAPHRASE = "someone wants my whatsapp"


def _index(keys=NOTES, locale: str = "en") -> None:
    with write_transaction():
        for key in keys:
            title, body = NOTES[key]
            search.index(search.Document(SOURCE, key, locale, title, body))


def _embedded() -> set[tuple[str, str, str]]:
    rows = db.session.execute(sa.select(Embedding.source, Embedding.doc_key, Embedding.locale))
    return {tuple(row) for row in rows}


@pytest.fixture
def notes(semantic_app):
    app = semantic_app(sources=[SOURCE])
    with app.app_context():
        _index()
        yield app


@pytest.fixture
def model_calls(monkeypatch) -> list[str]:
    """The texts given to the model, which still embeds them."""
    calls: list[str] = []
    passages = Embedder.passages

    def counted(self, texts):
        calls.extend(texts)
        return passages(self, texts)

    monkeypatch.setattr(Embedder, "passages", counted)
    return calls


def test_the_shipped_model_embeds_meaning():
    model = embedder()
    assert model.dim == 384
    outside, tracking = model.passages([NOTES["outside-contact"][1], NOTES["tracking"][1]])
    query = model.query(PARAPHRASE)
    assert np.isclose(np.linalg.norm(query), 1.0, atol=1e-5)
    assert query @ outside > query @ tracking
    # Multilingual: a French question is nearest to the English text that answers it.
    french = model.query("un acheteur me demande mon numéro de téléphone")
    assert french @ outside > french @ tracking


def test_installed_but_not_enabled_changes_nothing(semantic_app):
    app = semantic_app(enabled=False, sources=[SOURCE])
    with app.app_context():
        _index()
        assert _embedded() == set()
        assert search.search(SOURCE, PARAPHRASE, locale="en").keys == []


def test_a_paraphrase_with_no_shared_word_comes_first(notes):
    title, body = NOTES["outside-contact"]
    assert not set(query_words(PARAPHRASE, "en")) & set(words(f"{title} {body}"))
    assert _embedded() == {(SOURCE, key, "en") for key in NOTES}
    assert search.search(SOURCE, PARAPHRASE, locale="en").keys[0] == "outside-contact"
    plugin_host().unregister("semantic")  # lexically, the query finds nothing
    assert search.search(SOURCE, PARAPHRASE, locale="en").keys == []


def test_a_word_query_keeps_its_lexical_answer_first(notes):
    assert search.search(SOURCE, "holiday mode", locale="en").keys[0] == "holiday"
    assert search.search(SOURCE, "tracking number", locale="en").keys[0] == "tracking"


def test_embeddings_follow_the_index(notes, model_calls):
    _index(["fees"], locale="fr")
    assert (SOURCE, "fees", "fr") in _embedded()
    assert len(model_calls) == 1
    _index(["fees"], locale="fr")  # the same text: not embedded again
    assert len(model_calls) == 1
    with write_transaction():
        search.index(search.Document(SOURCE, "fees", "fr", "Frais", "Une commission par vente."))
    assert len(model_calls) == 2
    with write_transaction():
        search.remove(SOURCE, "fees", "fr")
    assert (SOURCE, "fees", "en") in _embedded()
    assert (SOURCE, "fees", "fr") not in _embedded()
    with write_transaction():
        search.remove(SOURCE, "holiday")
    assert {key for _s, key, _l in _embedded()} == set(NOTES) - {"holiday"}
    # A rebuild of the source reuses the vectors of unchanged texts.
    with write_transaction():
        search.clear(SOURCE)
        assert _embedded() == set()
        for key in ("tracking", "refunds"):
            search.index(search.Document(SOURCE, key, "en", *NOTES[key]))
    assert {key for _s, key, _l in _embedded()} == {"tracking", "refunds"}
    assert len(model_calls) == 2


def test_reindex_keeps_help_articles_in_step(semantic_app, model_calls):
    app = semantic_app()
    with app.app_context():
        for slug, (title, body) in NOTES.items():
            articles.save(ArticleData(slug=slug, locale="en", title=title, body=body))
        articles.save(
            ArticleData(
                slug="holiday", locale="en", title="Holiday mode", body="Gone.", published=False
            )
        )
        assert {key for _s, key, _l in _embedded()} == set(NOTES) - {"holiday"}
        embedded = len(model_calls)
        result = app.test_cli_runner().invoke(args=["reindex", "--source", "help"])
        assert result.exit_code == 0, result.output
        assert {key for _s, key, _l in _embedded()} == set(NOTES) - {"holiday"}
        assert len(model_calls) == embedded  # nothing changed: nothing embedded again
        response = app.test_client().get("/help/search", query_string={"q": PARAPHRASE})
        assert response.status_code == 200
        assert b'href="/help/outside-contact?lang=en' in response.data


def test_a_raising_model_never_breaks_indexing_or_a_search(semantic_app, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the model is gone")

    monkeypatch.setattr(Embedder, "passages", broken)
    monkeypatch.setattr(Embedder, "query", broken)
    app = semantic_app()
    with app.app_context():
        title, body = NOTES["tracking"]
        articles.save(ArticleData(slug="tracking", locale="en", title=title, body=body))
        assert _embedded() == set()  # the article is saved and indexed all the same
        assert search.search("help", "tracking", locale="en").keys == ["tracking"]
        response = app.test_client().get("/help/search", query_string={"q": "tracking"})
        assert response.status_code == 200
        assert b'href="/help/tracking?lang=en' in response.data


def test_the_embed_command_fills_gaps_and_forgets_the_gone(semantic_app):
    app = semantic_app()
    with app.app_context():
        for slug in ("tracking", "refunds"):
            title, body = NOTES[slug]
            articles.save(ArticleData(slug=slug, locale="en", title=title, body=body))
        with write_transaction():
            db.session.execute(sa.delete(Embedding).where(Embedding.doc_key == "tracking"))
            db.session.add(
                Embedding(
                    source="help", doc_key="gone", locale="en", model="m", digest="d", vector=b"1"
                )
            )
        result = app.test_cli_runner().invoke(args=["semantic", "embed"])
        assert result.exit_code == 0, result.output
        assert "help: 2 documents, 1 embedded, 1 forgotten" in result.output
        assert {key for _s, key, _l in _embedded()} == {"tracking", "refunds"}
        result = app.test_cli_runner().invoke(args=["semantic", "embed", "--all"])
        assert "help: 2 documents, 2 embedded, 0 forgotten" in result.output
        result = app.test_cli_runner().invoke(args=["semantic", "embed", "--source", "nope"])
        assert result.exit_code != 0
        assert "no search source 'nope'" in result.output


def test_the_embed_command_says_when_the_plugin_is_off(semantic_app):
    app = semantic_app(enabled=False)
    result = app.test_cli_runner().invoke(args=["semantic", "embed"])
    assert result.exit_code != 0
    assert "SUPPORTDESK_PLUGIN_SEMANTIC_ENABLED=true" in result.output


@pytest.mark.parametrize(
    "settings",
    [{"model": "/no/such/model.bin"}, {"sources": [1]}, {"max_chars": 3}, {"threads": 0}],
)
def test_a_bad_setting_stops_the_desk_at_start(semantic_app, settings):
    with pytest.raises(PluginError, match="SUPPORTDESK_PLUGIN_SEMANTIC"):
        semantic_app(**settings)


def test_settings_come_from_the_environment_too(semantic_app, monkeypatch):
    monkeypatch.setenv("SUPPORTDESK_PLUGIN_SEMANTIC_SOURCES", "help, cases")
    monkeypatch.setenv("SUPPORTDESK_PLUGIN_SEMANTIC_MAX_CHARS", "800")
    app = semantic_app()
    found = settings.current(app)
    assert (found.enabled, found.sources, found.max_chars) == (True, ("help", "cases"), 800)


def test_the_table_comes_from_the_plugin_s_migration(semantic_app, tmp_path):
    url = database_url_for_tests() or f"sqlite:///{tmp_path / 'migrated.db'}"
    app = semantic_app(create_tables=False, config={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        reset_postgres_schema()
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "semantic_embeddings" in sa.inspect(db.engine).get_table_names()
        heads = set(db.session.scalars(sa.text("SELECT version_num FROM alembic_version")))
        with db.engine.connect() as connection:
            # The migration builds the table the model describes, its index included.
            ours = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_name": lambda name, type_, parent: (
                        type_ != "table" or name == Embedding.__tablename__
                    ),
                },
            )
            alone = sa.MetaData()
            Embedding.__table__.to_metadata(alone)
            assert compare_metadata(ours, alone) == []
    assert "semantic_0001" in heads
