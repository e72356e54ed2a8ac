"""The core search service, through case search: accents, ranking, hostile input, visibility."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from supportdesk import migrate, search
from supportdesk.case_search import normalise_ref, search_cases
from supportdesk.database import write_transaction
from supportdesk.extensions import db
from supportdesk.models import SearchTerm
from supportdesk.search import ranking, vocabulary
from supportdesk.search.analysis import analyse
from supportdesk.search.backends import backend, scope_text
from supportdesk.testing import at_once, database_url_for_tests, reset_postgres_schema
from supportdesk.tickets import add_note, open_ticket, reply


def case(seller, subject, body, **kw):
    return open_ticket(
        seller=seller, type_key=kw.pop("type_key", "contact"), subject=subject, body=body, **kw
    )


def test_words_are_found_without_accents_or_case(app, seller, agent):
    wanted = case(seller, "Réclamation paiement", "Le paiement de la commande n'est pas arrivé")
    case(seller, "Shipping label", "How do I print a label?")
    assert [t.id for t in search_cases(agent, "reclamation PAIEMENT")] == [wanted.id]
    assert [t.id for t in search_cases(agent, "arrive")] == [wanted.id]


def test_every_word_must_match_and_the_title_ranks_first(app, seller, agent):
    in_body = case(seller, "Question", "My refund for the blue lamp never came")
    in_title = case(seller, "Refund for blue lamp", "Please help")
    case(seller, "Refund", "Something else entirely")
    assert [t.id for t in search_cases(agent, "blue refund")] == [in_title.id, in_body.id]


def test_replies_and_notes_are_searchable_by_staff(app, seller, agent):
    ticket = case(seller, "Parcel", "Where is it?")
    reply(ticket, actor=agent, body="The carrier lost the parcel in Lyon")
    add_note(ticket, actor=agent, body="Seller flagged for courier dispute")
    assert [t.id for t in search_cases(agent, "lyon")] == [ticket.id]
    assert [t.id for t in search_cases(agent, "courier")] == [ticket.id]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "l'acheteur",
        "A-à-Z",
        "NEAR(a b)",
        "title:x OR body:y",
        "*",
        "^a",
        "a AND",
        ") (",
        "x" * 2000,
        "\x00\n\t",
        "%_%",
    ],
)
def test_any_input_is_safe(app, seller, agent, query):
    case(seller, "L'acheteur A-à-Z", "title body near and or")
    assert isinstance(search_cases(agent, query), list)  # never an error


def test_an_apostrophe_splits_words_like_the_index(app, seller, agent):
    wanted = case(seller, "Message de l'acheteur", "Il demande un remboursement")
    assert [t.id for t in search_cases(agent, "acheteur")] == [wanted.id]
    assert [t.id for t in search_cases(agent, "l'acheteur")] == [wanted.id]


def test_search_never_finds_what_the_actor_may_not_see(app, seller, make_user):
    fraud_agent = make_user("agent", queues=["fraud"])
    support_agent = make_user("agent", queues=["seller_support"])
    fraud = case(seller, "Suspicious buyer", "asked to pay outside", type_key="fraud_report")
    contact = case(seller, "Suspicious parcel", "arrived open")
    assert [t.id for t in search_cases(fraud_agent, "suspicious")] == [fraud.id]
    assert [t.id for t in search_cases(support_agent, "suspicious")] == [contact.id]
    assert search_cases(seller, "suspicious") == []  # case search is a staff tool


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 8])
def test_the_newest_visible_matches_when_newer_ones_are_hidden(app, seller, make_user, limit):
    """The newest matches are looked at first: when the actor may not see some of them, the
    page is made up from older matches, the same cases in the same order as if every match
    had been read."""
    fraud_agent = make_user("agent", queues=["fraud"])
    support_agent = make_user("agent", queues=["seller_support"])
    made = []
    for kind in ["fraud"] * 5 + ["contact"] * 4 + ["fraud"] * 2 + ["contact"]:
        type_key = "fraud_report" if kind == "fraud" else "contact"
        made.append((kind, case(seller, "Courier lost it", "the courier", type_key=type_key)))
    case(seller, "Something else", "no match here")
    for actor, kind in ((fraud_agent, "fraud"), (support_agent, "contact")):
        newest_first = [t.id for k, t in reversed(made) if k == kind]
        found = [t.id for t in search_cases(actor, "courier", limit=limit)]
        assert found == newest_first[:limit], (kind, limit)


def test_reference_order_id_and_email_lookups(app, seller, other_seller, agent):
    mine = case(seller, "A", "b", order_id="112-3345")
    theirs = case(other_seller, "C", "d")
    assert search_cases(agent, mine.ref.lower().replace("-", "")) == [mine]
    assert search_cases(agent, "112-3345") == [mine]
    assert search_cases(agent, "OTHER@example.com") == [theirs]
    assert normalise_ref("sd 7k3m 9qxd") == "SD-7K3M-9QXD"
    assert normalise_ref("hello") is None


def test_a_merged_case_leaves_the_index(app, seller, agent):
    from supportdesk.tickets import merge

    first = case(seller, "Duplicate about invoices", "The warehouse mixed them up")
    second = case(seller, "Invoices", "two")
    merge(first, into=second, actor=agent)
    assert [t.id for t in search_cases(agent, "warehouse")] == [second.id]  # messages moved
    assert search_cases(agent, "duplicate") == []  # the merged case is no longer indexed


def test_fold_and_analyse():
    assert search.fold("Éàç ÔÙ") == "eac ou"
    assert analyse("L'acheteur, A-à-Z!", None) == "l acheteur a a z"
    assert analyse("Remboursements expédiés", "fr") == analyse("remboursement expedies", "fr")
    assert analyse("buyers emailing", "en") == "buyer email"


def add(key, title, body, locale):
    with write_transaction():
        search.index(search.Document(source="t", key=key, locale=locale, title=title, body=body))


def test_a_case_indexed_keeps_the_help_pages_statistics(app, seller):
    """Ranking reads each source's statistics once a while; a document indexed by this process
    makes its own source's be read again (the next ranking counts it), and no other's: a case
    filed used to make the next help search read the help pages' again."""
    add("parcel", "Lost parcel", "The parcel never came.", "en")
    pages = ranking.corpus_stats("t", "en")
    with write_transaction():
        search.index(search.Document(source="other", key="1", locale="en", title="x", body="y"))
    case(seller, "Parcel lost", "The buyer says the parcel never came")
    assert ranking.corpus_stats("t", "en") is pages
    add("label", "Print a label", "How to print a shipping label.", "en")
    again = ranking.corpus_stats("t", "en")
    assert again is not pages and again.documents == pages.documents + 1


def test_a_case_filed_keeps_the_help_pages_vocabulary(app, seller):
    """The words a search has checked for typos (and its map of near words) are kept per
    source and language; new word counts written for cases leave the help pages' alone, and
    new counts of their own drop them (the next search sees the new words)."""
    add("refunds", "Refunds", "How refunds work.", "en")
    assert search.search("t", "refundz", locale="en").corrected == "refunds"
    checked = vocabulary._checked_words("t", "en")
    assert "refundz" in checked
    case(seller, "Refundz card", "The refundz card was charged twice")
    assert vocabulary._checked_words("t", "en") is checked
    add("refundz", "Refundz", "The Refundz card and its fees.", "en")
    assert "refundz" not in vocabulary._checked_words("t", "en")
    assert search.search("t", "refundz", locale="en").corrected is None


def test_a_common_stem_keeps_a_positive_weight(app):
    add("a-refunds", "Remboursement", "Comment faire.", "fr")
    for i in range(4):
        add(
            f"b-{i}",
            f"Autre {i}",
            "rembourser remboursé remboursée remboursez remboursements",
            "fr",
        )
    assert search.search("t", "remboursement", locale="fr").keys[0] == "a-refunds"


def test_search_as_you_type_ranks_the_word_being_typed(app):
    add("zz-refunds", "Refunds", "Refunds refunds.", "en")
    add("aa-other", "Other", "Refer to the page.", "en")
    assert search.search("t", "refu", locale="en", prefix=True).keys == ["zz-refunds"]
    assert search.search("t", "ref", locale="en", prefix=True).keys[0] == "zz-refunds"


def test_a_correct_word_sharing_a_known_stem_is_not_corrected(app):
    add("colis", "Colis", "Vos colis expédiez-les vite.", "fr")
    found = search.search("t", "expédiés", locale="fr")
    assert found.corrected is None
    assert found.keys == ["colis"]


def test_a_typo_is_corrected_and_said(app):
    add("refunds", "Refunds and returns", "How refunds work.", "en")
    found = search.search("t", "refunsd", locale="en")
    assert found.corrected == "refunds"
    assert found.keys == ["refunds"]


def index_notes(count: int) -> None:
    """``count`` documents holding "carrier", "lost" and "parcel" in their body only."""
    with write_transaction():
        for number in range(count):
            search.index(
                search.Document(
                    source="t",
                    key=f"note-{number:03d}",
                    locale="en",
                    title=f"Note {number}",
                    body="The carrier lost a parcel and the buyer asked twice.",
                )
            )


def test_a_title_match_is_found_among_hundreds_of_body_matches(app):
    """Only a few hundred matches are ranked: those with every word in their title or tags are
    gathered first, wherever they are in the index, and a title changed later counts too."""
    index_notes(250)
    with write_transaction():
        for key, title in (("titled", "Lost parcel"), ("renamed", "Carrier question")):
            search.index(search.Document(source="t", key=key, locale="en", title=title, body="-"))
    assert search.search("t", "lost parcel", locale="en").keys[0] == "titled"
    add("renamed", "Parcel lost at the depot", "-", "en")  # indexed after the 250 notes
    assert set(search.search("t", "lost parcel", locale="en").keys[:2]) == {"titled", "renamed"}
    with write_transaction():
        search.remove("t", "titled")
    assert search.search("t", "lost parcel", locale="en").keys[0] == "renamed"


@pytest.mark.parametrize(
    "query", ["carrier", "which carrier takes a heavy parcel abroad for a good price"]
)
def test_a_page_titled_with_a_word_is_on_the_first_page_however_many_bodies_hold_it(app, query):
    """More bodies hold the word than are ranked (PostgreSQL: 100, SQLite: 120), and the page
    whose title holds it was indexed after them all: a short query or a long question (whose
    words are all optional), it is on the first page."""
    index_notes(150)
    add("titled", "Carriers for heavy parcels", "-", "en")
    found = search.search("t", query, locale="en", limit=10)
    assert "titled" in found.keys
    assert found.total > 100


def test_a_word_new_to_the_index_is_no_longer_corrected(app):
    add("refunds", "Refunds", "How refunds work.", "en")
    assert search.search("t", "refundz", locale="en").corrected == "refunds"
    add("refundz", "Refundz", "The Refundz card and its fees.", "en")
    found = search.search("t", "refundz", locale="en")
    assert found.corrected is None
    assert found.keys == ["refundz"]


@pytest.mark.skipif(database_url_for_tests() is not None, reason="SQLite's titles index")
def test_documents_indexed_before_the_upgrade_are_found_by_their_titles(make_app):
    """Revision 0004 indexes the titles and tags of the documents already held in a table of
    their own, and keeps each new document's text for its snippets."""
    app = make_app(create_tables=False)
    migrate.upgrade(app, "0003_search")
    with app.app_context():  # the index as revision 0003 made it, before this one
        for trigger in ("ai", "ad", "au"):
            db.session.execute(sa.text(f"DROP TRIGGER search_documents_heads_{trigger}"))
        db.session.execute(sa.text("DROP TABLE search_fts_heads"))
        prepare = backend().stored_text
        rows = [
            (f"note-{n:03d}", f"Note {n}", "The carrier lost a parcel.") for n in range(250)
        ] + [("titled", "Lost parcel", "-")]
        db.session.execute(
            sa.text(
                "INSERT INTO search_documents (source, doc_key, locale, title, tags, body,"
                " facet, scope, terms, updated_at) VALUES ('t', :key, 'en', :title, '', :body,"
                " '', :scope, '', CURRENT_TIMESTAMP)"
            ),
            [
                {
                    "key": key,
                    "title": prepare(title, "en"),
                    "body": prepare(body, "en"),
                    "scope": scope_text("t", "en", ""),
                }
                for key, title, body in rows
            ],
        )
        db.session.commit()
    migrate.upgrade(app)
    with app.app_context():
        assert search.search("t", "lost parcel", locale="en").keys[0] == "titled"
        add("new", "New", "Kept as written.", "en")
        assert search.passages("t", ["new"], "en")["new"].text == "Kept as written."


@pytest.mark.skipif(database_url_for_tests() is None, reason="PostgreSQL's GIN index")
def test_the_postgresql_index_takes_new_documents_at_once(make_app):
    """No pending list: with one, every search reads all the documents written since the last
    vacuum, one by one (4 ms a search at a thousand of them)."""
    app = make_app(create_tables=False)
    with app.app_context():
        reset_postgres_schema()
    migrate.upgrade(app)
    with app.app_context():
        options = db.session.scalar(
            sa.text("SELECT reloptions FROM pg_class WHERE relname = 'ix_search_documents_tsv'")
        )
    assert "fastupdate=off" in options


@pytest.mark.skipif(database_url_for_tests() is None, reason="row locks: SQLite has one writer")
def test_two_transactions_indexing_crossing_words_both_commit(make_app):
    """Two transactions each index two documents, meeting halfway, whose words cross: the
    first holds "alpha" and "zulu" when it needs "bravo", the second the other way round (a
    rebuild of the case index while cases are filed). Both must commit, with every count."""
    app = make_app()

    def run(first: tuple[str, str], second: tuple[str, str]) -> Callable[[threading.Barrier], None]:
        def index_both(halfway: threading.Barrier) -> None:
            with app.app_context(), write_transaction():
                search.index(search.Document("t", first[0], "en", first[0], first[1]))
                halfway.wait()
                search.index(search.Document("t", second[0], "en", second[0], second[1]))

        return index_both

    at_once(
        run(("one", "alpha zulu"), ("two", "bravo")),
        run(("three", "bravo yankee"), ("four", "alpha")),
        timeout=20,
    )
    with app.app_context():
        counts = dict(
            db.session.execute(
                sa.select(SearchTerm.term, SearchTerm.doc_count).where(
                    SearchTerm.source == "t", SearchTerm.term.in_(["alpha", "bravo", "zulu"])
                )
            ).all()
        )
    assert counts == {"alpha": 2, "bravo": 2, "zulu": 1}


def test_the_questions_field_comes_and_goes_with_its_revision(make_app):
    """Revision 0005 makes the full-text structures again with a questions field, over the
    documents held; its downgrade makes them again without it, and nothing is lost."""
    app = make_app(create_tables=False)
    with app.app_context():
        reset_postgres_schema()
    migrate.upgrade(app)
    with app.app_context(), write_transaction():
        search.index(
            search.Document(
                "t",
                "faq",
                "en",
                "Parcels",
                "The carrier lost it.",
                questions=["Where is my package?"],
            )
        )
    with app.app_context():
        assert search.search("t", "package", locale="en").keys == ["faq"]
    migrate.downgrade(app, "0004_search_text_and_heads")
    with app.app_context():  # the code of today reads questions: ask the index itself
        columns = sa.inspect(db.engine).get_columns("search_documents")
        assert "questions" not in {c["name"] for c in columns}
        if db.engine.dialect.name == "sqlite":
            found = "SELECT count(*) FROM search_fts WHERE search_fts MATCH 'carrier'"
        else:
            found = "SELECT count(*) FROM search_documents WHERE tsv @@ to_tsquery('carrier')"
        assert db.session.scalar(sa.text(found)) == 1
    migrate.upgrade(app)
    with app.app_context():
        assert search.search("t", "lost carrier", locale="en").keys == ["faq"]


@pytest.mark.skipif(
    database_url_for_tests() is None, reason="SQLite's titles index dates from 0004"
)
def test_the_titles_index_comes_and_goes_with_its_revision(make_app):
    """Revision 0006 adds PostgreSQL's titles index over the documents held; its downgrade
    takes it away and leaves the full-text index as it was."""
    app = make_app(create_tables=False)
    with app.app_context():
        reset_postgres_schema()
    migrate.upgrade(app, "0005_search_questions")
    with app.app_context():  # written by the code of revision 0005: no titles index to fill
        db.session.execute(
            sa.text(
                "INSERT INTO search_documents (source, doc_key, locale, title, tags, questions,"
                " body, facet, scope, terms, updated_at) VALUES ('t', 'held', 'en',"
                " 'Lost parcel', '', '', 'The carrier lost it.', '', :scope, 'carrier lost"
                " parcel it the', CURRENT_TIMESTAMP)"
            ),
            {"scope": scope_text("t", "en", "")},
        )
        db.session.commit()
    migrate.upgrade(app)
    titled = "SELECT count(*) FROM search_documents WHERE title_tsv @@ to_tsquery('parcel')"
    with app.app_context():
        assert db.session.scalar(sa.text(titled)) == 1
        assert search.search("t", "parcel", locale="en").keys == ["held"]
    migrate.downgrade(app, "0005_search_questions")
    with app.app_context():
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("search_documents")}
        assert "title_tsv" not in columns
        found = "SELECT count(*) FROM search_documents WHERE tsv @@ to_tsquery('parcel')"
        assert db.session.scalar(sa.text(found)) == 1
    migrate.upgrade(app)
    with app.app_context():
        assert search.search("t", "lost parcel", locale="en").keys == ["held"]
