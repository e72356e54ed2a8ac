"""Writing articles: the one place that saves them, renders them and keeps the index in step."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from supportdesk import FieldErrors, search
from supportdesk.database import write_transaction
from supportdesk.extensions import db
from supportdesk.i18n import gettext as _
from supportdesk.models import utcnow

from .models import LOCALES, Article
from .rendering import plain_text, render

SOURCE = "help"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Paths under /help that are pages, not articles: an article there could never be opened.
RESERVED_SLUGS = {"search", "suggest", "manage", "analytics", "static"}
MAX_QUESTIONS = 30
MAX_QUESTION_LENGTH = 300


@dataclass
class ArticleData:
    """An article as it is edited or read from a file."""

    slug: str
    locale: str
    title: str
    body: str
    category: str = ""
    tags: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    published: bool = True
    #: Other ways a seller asks what the article answers, one line each (searched too).
    questions: list[str] = field(default_factory=list)


def validate(data: ArticleData) -> None:
    errors = {}
    if not SLUG.match(data.slug or "") or len(data.slug) > 120:
        errors["slug"] = _("Use lower-case letters, digits and hyphens (at most 120).")
    elif data.slug in RESERVED_SLUGS:
        errors["slug"] = _("This slug is the address of a help page; choose another.")
    if data.locale not in LOCALES:
        errors["locale"] = _("The language must be en or fr.")
    if not (data.title or "").strip():
        errors["title"] = _("Please give the article a title.")
    elif len(data.title) > 300:
        errors["title"] = _("The title is limited to %(n)d characters.", n=300)
    if len(data.category or "") > 64:
        errors["category"] = _("The category is limited to %(n)d characters.", n=64)
    if len(data.body or "") > 100_000:
        errors["body"] = _("The article is limited to %(n)d characters.", n=100_000)
    for name in ("tags", "related"):
        if any(not isinstance(t, str) or len(t) > 120 for t in getattr(data, name)):
            errors[name] = _("Tags and related articles are short words.")
    problem = question_problem(data.questions)
    if problem:
        errors["questions"] = problem
    if errors:
        raise FieldErrors(errors)


def question_problem(questions: list[str]) -> str | None:
    """What is wrong with an article's questions, or None: each is one non-empty line."""
    if len(questions) > MAX_QUESTIONS:
        return _("An article answers at most %(n)d questions.", n=MAX_QUESTIONS)
    for number, question in enumerate(questions, start=1):
        if not isinstance(question, str) or not question.strip():
            return _("Question %(number)d is empty.", number=number)
        if question.strip().splitlines() != [question.strip()]:
            return _("Question %(number)d must fit on one line.", number=number)
        if len(question.strip()) > MAX_QUESTION_LENGTH:
            return _(
                "Question %(number)d is longer than %(n)d characters.",
                number=number,
                n=MAX_QUESTION_LENGTH,
            )
    return None


def document(article: Article) -> search.Document:
    return search.Document(
        source=SOURCE,
        key=article.slug,
        locale=article.locale,
        title=article.title,
        body=plain_text(article.body),
        tags=list(article.tags or []),
        facet=article.category,
        questions=list(article.questions or []),
    )


def _apply(article: Article, data: ArticleData) -> bool:
    """Copy ``data`` onto ``article``; True when anything changed."""
    values = {
        "title": data.title.strip(),
        "body": data.body,
        "category": data.category.strip(),
        "tags": list(data.tags),
        "related": list(data.related),
        "questions": [question.strip() for question in data.questions],
        "published": data.published,
    }
    changed = any(getattr(article, k) != v for k, v in values.items())
    for name, value in values.items():
        setattr(article, name, value)
    return changed


def save(data: ArticleData, *, replacing: Article | None = None) -> Article:
    """Create or update the article ``(slug, locale)`` and its index entry, in one transaction.

    ``replacing`` is the article being edited: it takes the new slug and language when they
    changed (``FieldErrors`` on ``slug`` if another article already has them)."""
    validate(data)
    with write_transaction():
        article = find(data.slug, data.locale)
        renamed = replacing is not None and article is not replacing
        if renamed:
            if article is not None:
                raise FieldErrors(
                    {"slug": _("Another article already has this slug in this language.")}
                )
            search.remove(SOURCE, replacing.slug, replacing.locale)
            replacing.slug, replacing.locale = data.slug, data.locale
            article = replacing
        created = article is None
        if created:
            article = Article(slug=data.slug, locale=data.locale)
            db.session.add(article)
        changed = _apply(article, data) or created or renamed
        if changed:
            article.body_html = render(article.body)
            article.updated_at = utcnow()
            db.session.flush()
            reindex(article)
    return article


def as_data(article: Article) -> ArticleData:
    """The article as it is edited (to change one thing and save the rest as it was)."""
    return ArticleData(
        slug=article.slug,
        locale=article.locale,
        title=article.title,
        body=article.body,
        category=article.category,
        tags=list(article.tags or []),
        related=list(article.related or []),
        published=article.published,
        questions=list(article.questions or []),
    )


def record_vote(article: Article, helpful: bool) -> None:
    """Count one reader's "was this helpful?" answer (an increment, safe under concurrency)."""
    column = Article.helpful_yes if helpful else Article.helpful_no
    with write_transaction():
        db.session.execute(
            sa.update(Article).where(Article.id == article.id).values({column: column + 1})
        )


def reindex(article: Article) -> None:
    if article.published:
        search.index(document(article))
    else:
        search.remove(SOURCE, article.slug, article.locale)


def find(slug: str, locale: str) -> Article | None:
    return db.session.scalar(
        sa.select(Article).where(Article.slug == slug, Article.locale == locale)
    )


def translations(article: Article) -> list[Article]:
    """The other languages of the same article (published or not)."""
    return list(
        db.session.scalars(
            sa.select(Article).where(Article.slug == article.slug, Article.locale != article.locale)
        )
    )


def all_documents() -> Iterable[search.Document]:
    for article in db.session.scalars(sa.select(Article).where(Article.published.is_(True))):
        yield document(article)
