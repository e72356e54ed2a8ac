"""The staff's help pages: the article editor (list, create, edit, preview, publish) and the
analytics of what the help did not answer. Staff only: sellers get 403, visitors sign in.

Articles are saved through :func:`articles.save`, the one write path (it renders the Markdown
and keeps the search index in step); its ``FieldErrors`` land next to the fields, and what was
typed stays in the form.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from supportdesk import FieldErrors, charts
from supportdesk.accounts import current_user, login_required
from supportdesk.extensions import db
from supportdesk.i18n import gettext as _
from supportdesk.permissions import may

from . import analytics, articles, catalogue
from .articles import ArticleData
from .forms import (
    ArticleFilterForm,
    ArticleForm,
    PublishForm,
    show_errors,
    split_lines,
    split_list,
)
from .models import LOCALES, Article
from .rendering import render
from .views import bp

LIST_PAGE = 25
DEFAULT_PERIOD = 30


def staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed-in staff only: anonymous visitors go to sign-in, sellers get 403."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not may(current_user, "view", "staff"):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def like_pattern(text: str) -> str:
    """``text`` as a LIKE pattern matching itself anywhere (its ``%`` and ``_`` literal)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def listed_articles(form: ArticleFilterForm) -> sa.Select:
    query = sa.select(Article)
    if form.value("lang"):
        query = query.where(Article.locale == form.value("lang"))
    if form.value("status"):
        query = query.where(Article.published.is_(form.value("status") == "published"))
    if form.value("q"):
        query = query.where(Article.title.ilike(like_pattern(form.value("q")[:300]), escape="\\"))
    return query


@bp.get("/help/manage")
@staff_required
def manage() -> str:
    form = ArticleFilterForm(request.args)
    form.validate()
    query = listed_articles(form)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // LIST_PAGE))
    page = max(1, min(request.args.get("page", 1, type=int), pages))
    rows = db.session.scalars(
        query.order_by(Article.slug, Article.locale).offset((page - 1) * LIST_PAGE).limit(LIST_PAGE)
    ).all()
    args = {name: form.value(name) or None for name in ("lang", "status", "q")}
    return render_template(
        "supportdesk_helpcenter/manage_list.html",
        form=form,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        prev_url=url_for(".manage", **args, page=page - 1) if page > 1 else None,
        next_url=url_for(".manage", **args, page=page + 1) if page < pages else None,
        publish_form=PublishForm(),
    )


def form_data(form: ArticleForm, published: bool) -> ArticleData:
    return ArticleData(
        slug=form.slug.data or "",
        locale=form.locale.data or "",
        title=form.title.data or "",
        body=(form.body.data or "").replace("\r\n", "\n"),
        category=form.category.data or "",
        tags=split_list(form.tags.data),
        related=split_list(form.related.data),
        published=published,
        questions=split_lines(form.questions.data),
    )


def saved_values(article: Article) -> dict[str, str]:
    return {
        "slug": article.slug,
        "locale": article.locale,
        "title": article.title,
        "category": article.category,
        "tags": ", ".join(article.tags or []),
        "related": ", ".join(article.related or []),
        "questions": "\n".join(article.questions or []),
        "body": article.body,
    }


def translation_of() -> dict[str, str] | None:
    """A new article's slug and language from ``?slug=&locale=`` ("add a translation")."""
    slug = request.args.get("slug", "")[:120]
    return {"slug": slug, "locale": request.args.get("locale", "")} if slug else None


def editor(article: Article | None) -> Response | tuple[str, int]:
    """The editor's GET and POST: "Preview" shows the rendering, "Save" saves and goes back."""
    form = ArticleForm(data=saved_values(article) if article else translation_of())
    preview = None
    if form.validate_on_submit():
        if form.preview.data:
            preview = Markup(render(form.body.data or ""))  # noqa: S704 (sanitised by nh3)  # nosec B704
        else:
            try:
                saved = articles.save(
                    form_data(form, article.published if article else False), replacing=article
                )
            except FieldErrors as exc:
                show_errors(form, exc)
            else:
                flash(_("The article is saved."), "success")
                return redirect(url_for(".edit", article_id=saved.id))
    html = render_template(
        "supportdesk_helpcenter/manage_form.html",
        form=form,
        article=article,
        translations=articles.translations(article) if article else [],
        preview=preview,
        categories=catalogue.CATEGORY_LABELS,
        publish_form=PublishForm(),
    )
    return html, 400 if form.errors else 200


@bp.route("/help/manage/new", methods=["GET", "POST"])
@staff_required
def new() -> Response | tuple[str, int]:
    return editor(None)


def article_or_404(article_id: int) -> Article:
    article = db.session.get(Article, article_id)
    if article is None:
        abort(404)
    return article


@bp.route("/help/manage/<int:article_id>", methods=["GET", "POST"])
@staff_required
def edit(article_id: int) -> Response | tuple[str, int]:
    return editor(article_or_404(article_id))


def set_published(article_id: int, published: bool) -> Response:
    article = article_or_404(article_id)
    if not PublishForm().validate_on_submit():
        abort(400)
    data = articles.as_data(article)
    data.published = published
    try:
        articles.save(data)
    except FieldErrors as exc:  # saved before a rule existed: it must be edited first
        flash("; ".join(exc.errors.values()), "error")
        return redirect(url_for(".edit", article_id=article.id))
    if published:
        flash(_("“%(title)s” is published.", title=article.title), "success")
    else:
        flash(_("“%(title)s” is no longer published.", title=article.title), "success")
    return redirect(url_for(".edit", article_id=article.id))


@bp.post("/help/manage/<int:article_id>/publish")
@staff_required
def publish(article_id: int) -> Response:
    return set_published(article_id, True)


@bp.post("/help/manage/<int:article_id>/unpublish")
@staff_required
def unpublish(article_id: int) -> Response:
    return set_published(article_id, False)


def query_chart(chart_id: str, title: str, rows: list[analytics.QueryCount]) -> Markup:
    return charts.bar_chart(
        chart_id,
        title,
        _("Number of searches for each query."),
        [(row.query, row.searches) for row in rows],
        empty=_("No searches in this period."),
    )


@bp.get("/help/analytics")
@staff_required
def analytics_page() -> str:
    days = request.args.get("days", DEFAULT_PERIOD, type=int)
    days = days if days in analytics.PERIODS else DEFAULT_PERIOD
    top = analytics.top_queries(days)
    empty = analytics.queries_without_results(days)
    failed = analytics.queries_followed_by_case(days)
    unhelpful = analytics.least_helpful()
    unhelpful_chart = charts.bar_chart(
        "help-unhelpful",
        _("Least helpful articles"),
        _("Share of readers who answered no, in per cent."),
        [(f"{a.title} ({a.locale})", round(a.unhelpful_share * 100)) for a in unhelpful],
        colour=charts.RED,
        empty=_("No article has enough votes yet."),
    )
    return render_template(
        "supportdesk_helpcenter/analytics.html",
        days=days,
        periods=analytics.PERIODS,
        min_votes=analytics.MIN_VOTES,
        locales=LOCALES,
        sections=[
            ("top", _("Top queries"), top, query_chart("help-top", _("Top queries"), top)),
            (
                "empty",
                _("Queries with no result"),
                empty,
                query_chart("help-empty", _("Queries with no result"), empty),
            ),
            (
                "failed",
                _("Queries followed by a case"),
                failed,
                query_chart("help-failed", _("Queries followed by a case"), failed),
            ),
        ],
        unhelpful=unhelpful,
        unhelpful_chart=unhelpful_chart,
    )
