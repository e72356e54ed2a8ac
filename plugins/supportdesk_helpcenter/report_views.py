"""The staff's "Queries that failed" report, per language: queries followed by a case, queries
that found nothing, and queries answered by the article the seller opened, each with its
one-click fixes. "Add as question" is an edit of the article (staff, as the editor); "Add as
synonym" changes the lexicon every search reads (admins, as the lexicon page)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from supportdesk import FieldErrors, charts
from supportdesk.accounts import current_user
from supportdesk.extensions import db
from supportdesk.i18n import gettext as _
from supportdesk.permissions import may

from . import analytics, articles, learning, lexicon
from .learning_forms import KINDS, QuestionForm, ReportRowForm, SynonymForm, unique_ids
from .lexicon_views import admin_required
from .models import LOCALES, Article
from .staff_views import DEFAULT_PERIOD, staff_required
from .views import bp


@dataclass
class ReportRow:
    kind: str
    query: str
    searches: int
    slug: str | None  # the article opened, for "answered after looking"
    title: str | None
    question: QuestionForm
    synonym: SynonymForm | None  # admins only


def period(value: str | int | None) -> int:
    try:
        days = int(value or DEFAULT_PERIOD)
    except ValueError:
        return DEFAULT_PERIOD
    return days if days in analytics.PERIODS else DEFAULT_PERIOD


def article_choices(locale: str) -> list[SelectChoice]:
    rows = db.session.execute(
        sa.select(Article.slug, Article.title)
        .where(Article.locale == locale)
        .order_by(Article.title)
    )
    return [SelectChoice("", _("Choose an article…"))] + [
        SelectChoice(slug, title) for slug, title in rows
    ]


def row_forms(
    kind: str, locale: str, query: str, days: int, slug: str | None, bound: ReportRowForm | None
) -> tuple[QuestionForm, SynonymForm | None]:
    """The row's two forms; ``bound`` replaces its own kind when it is this row's, refused."""
    values = {"query": query, "locale": locale, "kind": kind, "days": days}
    mine = bound is not None and (bound.kind.data, bound.locale.data, bound.query.data) == (
        kind,
        locale,
        query,
    )
    question = bound if mine and isinstance(bound, QuestionForm) else None
    question = question or QuestionForm(formdata=None, data={**values, "slug": slug or ""})
    synonym = None
    if may(current_user, "view", "admin"):
        synonym = bound if mine and isinstance(bound, SynonymForm) else None
        synonym = synonym or SynonymForm(formdata=None, data={**values, "words": query})
    return question, synonym


def kind_titles() -> dict[str, str]:
    return {
        "case": _("Followed by a case"),
        "empty": _("No result"),
        "answered": _("Answered after looking"),
    }


def kinds_chart(locale: str, kinds: dict[str, list[ReportRow]]) -> Markup:
    titles = kind_titles()
    bars = [(titles[kind], sum(row.searches for row in rows)) for kind, rows in kinds.items()]
    return charts.bar_chart(
        f"failed-{locale}-chart",
        _("Searches of each kind"),
        _("Number of searches of the queries listed below, for each kind."),
        bars if any(count for _label, count in bars) else [],
        empty=_("No searches in this period."),
    )


def report_sections(days: int, bound: ReportRowForm | None) -> list[dict]:
    languages = []
    for locale in LOCALES:
        report = analytics.failed_queries(days, locale)
        choices = article_choices(locale)
        found = {
            "case": [(q.query, q.searches, None, None) for q in report.followed_by_case],
            "empty": [(q.query, q.searches, None, None) for q in report.without_results],
            "answered": [(a.query, a.searches, a.slug, a.title) for a in report.answered],
        }
        if bound is not None and bound.locale.data == locale:
            listed = found[bound.kind.data]
            if all(query != bound.query.data for query, *_rest in listed):
                # The refused row left the list meanwhile: shown on top, with what was typed.
                slug = bound.slug.data if isinstance(bound, QuestionForm) else None
                listed.insert(0, (bound.query.data, 0, slug, None))
        kinds = {}
        for kind in KINDS:
            rows = []
            for number, (query, searches, slug, title) in enumerate(found[kind]):
                # An article opened that is not written in the query's language: choose one.
                fixed = slug if title is not None else None
                question, synonym = row_forms(kind, locale, query, days, fixed, bound)
                question.slug.choices = choices
                key = f"{kind}-{locale}-{number}"
                unique_ids(question, f"{key}-q")
                if synonym is not None:
                    unique_ids(synonym, f"{key}-s")
                rows.append(ReportRow(kind, query, searches, fixed, title, question, synonym))
            kinds[kind] = rows
        languages.append({"locale": locale, "kinds": kinds, "chart": kinds_chart(locale, kinds)})
    return languages


def report_page(days: int, bound: ReportRowForm | None = None) -> tuple[str, int]:
    html = render_template(
        "supportdesk_helpcenter/failed_queries.html",
        days=days,
        periods=analytics.PERIODS,
        languages=report_sections(days, bound),
        kind_titles=kind_titles(),
    )
    return html, 400 if bound is not None else 200


def back_to_report(form: ReportRowForm) -> Response:
    days = period(form.days.data)
    anchor = f"failed-{form.locale.data}-{form.kind.data}"
    return redirect(url_for(".failed_queries", days=days, _anchor=anchor))


def checked_row(form: ReportRowForm) -> None:
    """A row form as the report made it (CSRF, a query, a language, a kind), else 400."""
    if not form.validate_on_submit() or form.locale.data not in LOCALES:
        abort(400)
    if form.kind.data not in KINDS:
        abort(400)


@bp.get("/help/analytics/failed")
@staff_required
def failed_queries() -> tuple[str, int]:
    return report_page(period(request.args.get("days")))


@bp.post("/help/analytics/failed/question")
@staff_required
def add_question() -> Response | tuple[str, int]:
    form = QuestionForm()
    checked_row(form)
    article = articles.find(form.slug.data or "", form.locale.data)
    if article is None:
        form.slug.errors = [_("Choose the article that answers this query.")]
        return report_page(period(form.days.data), form)
    try:
        added = learning.add_question(article, form.query.data)
    except FieldErrors as exc:
        form.slug.errors = list(exc.errors.values())
        return report_page(period(form.days.data), form)
    if added:
        flash(
            _(
                "“%(query)s” is now a question of “%(title)s”.",
                query=form.query.data,
                title=article.title,
            ),
            "success",
        )
    else:
        flash(_("“%(title)s” already has this question.", title=article.title), "info")
    return back_to_report(form)


@bp.post("/help/analytics/failed/synonym")
@admin_required
def add_synonym() -> Response | tuple[str, int]:
    form = SynonymForm()
    checked_row(form)
    if not form.words.data:
        form.words.errors = [_("Write the words sellers use.")]
    if not form.means.data:
        form.means.errors = [_("Write the words of the help pages these words mean.")]
    if not form.words.errors and not form.means.errors:
        line = learning.synonym_line(form.words.data, form.means.data)
        try:
            lexicon.add_entry(form.locale.data, line, origin="report", user_id=current_user.id)
        except FieldErrors as exc:
            form.means.errors = list(exc.errors.values())
        else:
            flash(_("The search now reads “%(line)s”.", line=line), "success")
            return back_to_report(form)
    return report_page(period(form.days.data), form)
