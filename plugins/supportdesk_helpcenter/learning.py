"""Learning from use: which article a search led to, and the fixes the failed-queries report
offers in one click (a query made a question of an article, or a lexicon line).

A click is written on a GET (opening the article), so it is held to the searcher: a seller's
own search, or for a visitor a search this session made (its ids are kept in the session when
it searches), and only the first click of a search counts.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import session

from supportdesk.database import write_transaction
from supportdesk.extensions import db
from supportdesk.models import utcnow

from . import articles
from .models import Article, HelpSearch

SESSION_KEY = "help_searches"
#: How many of a visitor's searches the session remembers (the cookie stays small).
SEARCHES_KEPT = 20


def remember_search(search_id: int) -> None:
    """Let this session's visitor record the article that search ``search_id`` led to."""
    session[SESSION_KEY] = [*session.get(SESSION_KEY, [])[-(SEARCHES_KEPT - 1) :], search_id]


def record_click(search_id: int, slug: str, seller_id: int | None) -> bool:
    """Note that search ``search_id`` led to article ``slug``; False when the search is not the
    reader's (another seller's, or a visitor's id this session did not make) or had its click."""
    if seller_id is None:
        if search_id not in session.get(SESSION_KEY, []):
            return False
        owner = HelpSearch.seller_id.is_(None)
    else:
        owner = HelpSearch.seller_id == seller_id
    unclicked = (HelpSearch.id == search_id, owner, HelpSearch.clicked_slug.is_(None))
    # Most article views follow no search, or a search clicked already: a read tells.
    if not db.session.scalar(sa.select(sa.exists().where(*unclicked))):
        return False
    with write_transaction() as writing:
        done = writing.execute(
            sa.update(HelpSearch).where(*unclicked).values(clicked_slug=slug, clicked_at=utcnow())
        )
    return done.rowcount == 1


def add_question(article: Article, question: str) -> bool:
    """Append ``question`` to the article's questions (``FieldErrors`` when it does not fit);
    False when the article has it already."""
    text = " ".join(question.split())
    if text.casefold() in {known.casefold() for known in article.questions or []}:
        return False
    data = articles.as_data(article)
    data.questions = [*data.questions, text]
    articles.save(data, replacing=article)
    return True


def synonym_line(words: str, means: str) -> str:
    """The lexicon line saying that ``words`` (a query) also means ``means``."""
    return f"{' '.join(words.split())} => {' '.join(means.split())}"
