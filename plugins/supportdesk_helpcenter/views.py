"""The help pages sellers read: the start page, search, search-as-you-type and an article.

Every page works without JavaScript; ``static/suggest.js`` adds suggestions under the search
box. Readers get an article in the language they ask for (``?lang=``) or the interface's, and
the other language with a notice when it is not written in theirs. Drafts are 404 except for
staff, who see them with a banner. The staff's pages are in :mod:`.staff_views`.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from supportdesk.accounts import current_user
from supportdesk.i18n import gettext as _
from supportdesk.permissions import may

from . import articles, catalogue, learning, searching
from .forms import SearchForm, VoteForm
from .models import Article

bp = Blueprint(
    "helpcenter",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/help/static",
)

PER_PAGE = 10
MAX_PAGE = 1000
POPULAR = 5
SUGGESTIONS = 6
#: A query being typed is cut here: suggestions need its first words, not a pasted page.
SUGGEST_CHARS = 200
CONTACT_ENDPOINT = "desk.contact.form"
#: How many articles' votes a session remembers (the cookie stays small).
VOTES_KEPT = 200


def is_staff() -> bool:
    return may(current_user, "view", "staff")


def contact_url(query: str | None) -> str | None:
    """The contact form, with the reader's words, if the contact plugin is enabled."""
    if CONTACT_ENDPOINT not in current_app.view_functions:
        return None
    return url_for(CONTACT_ENDPOINT, q=(query or "")[:SUGGEST_CHARS] or None)


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {
        "category_label": catalogue.category_label,
        "language_label": lambda code: str(catalogue.LANGUAGE_LABELS.get(code, code)),
        "contact_url": contact_url,
    }


def search_form(locale: str, category: str = "") -> SearchForm:
    form = SearchForm(request.args)
    form.category.choices = [SelectChoice("", _("All categories"))] + [
        SelectChoice(key, name) for key, name in catalogue.categories(locale)
    ]
    form.category.data = category
    form.lang.data = locale
    return form


@bp.get("/help")
def index() -> str:
    locale = catalogue.asked_locale(request.args.get("lang"))
    return render_template(
        "supportdesk_helpcenter/index.html",
        form=search_form(locale),
        locale=locale,
        categories=catalogue.category_counts(locale),
        popular=catalogue.popular(locale, POPULAR),
    )


def page_number() -> int:
    page = request.args.get("page", 1, type=int)
    return max(1, min(page, MAX_PAGE))


def pager(page: int, pages: int, args: dict[str, Any]) -> dict[str, Any]:
    """Page links of a result list (a page past the end links back to the last one)."""

    def url(number: int) -> str:
        return url_for(".search", **args, page=number if number > 1 else None)

    return {
        "page": page,
        "pages": pages,
        "prev_url": url(min(page - 1, pages)) if page > 1 else None,
        "next_url": url(page + 1) if page < pages else None,
    }


@bp.get("/help/search")
def search() -> str:
    """Ranked results for ``q``; with no words and a category, that category's articles."""
    query = (request.args.get("q") or "").strip()
    locale = catalogue.asked_locale(request.args.get("lang"))
    category = (request.args.get("category") or "").strip()[:64]
    page = page_number()
    context: dict[str, Any] = {
        "form": search_form(locale, category),
        "query": query,
        "locale": locale,
        "other_locale": catalogue.other_locale(locale),
        "category": category,
        "per_page": PER_PAGE,
    }
    if query:
        results = searching.search_help(
            query,
            locale,
            category=category or None,
            page=page,
            per_page=PER_PAGE,
            seller_id=current_user.id if current_user.is_authenticated else None,
            log=page == 1 and not is_staff(),  # staff trying the search would skew the analytics
        )
        context.update(results=results, total=results.total)
        pages = results.pages
        if results.search_id is not None and not current_user.is_authenticated:
            learning.remember_search(results.search_id)
    elif category:
        listed, total = catalogue.in_category(
            locale, category, offset=(page - 1) * PER_PAGE, limit=PER_PAGE
        )
        context.update(listed=listed, total=total)
        pages = max(1, -(-total // PER_PAGE))
    else:
        return render_template("supportdesk_helpcenter/search.html", **context)
    args = {"q": query or None, "lang": locale, "category": category or None}
    context.update(pager(page, pages, args))
    return render_template("supportdesk_helpcenter/search.html", **context)


@bp.get("/help/suggest")
def suggest() -> Response:
    """Articles for the words being typed, as JSON, for ``suggest.js``."""
    text = (request.args.get("q") or "")[:SUGGEST_CHARS]
    locale = catalogue.asked_locale(request.args.get("lang"))
    hits = searching.suggestions(text, locale, SUGGESTIONS) if text.strip() else []
    return jsonify(
        suggestions=[{"title": hit.title, "url": hit.url, "slug": hit.slug} for hit in hits]
    )


def article_for_reader(slug: str, asked: str) -> Article:
    """The article in the asked language, else in the other one; 404 when neither is readable."""
    drafts = is_staff()
    for locale in (asked, catalogue.other_locale(asked)):
        article = catalogue.readable(slug, locale, drafts=drafts)
        if article is not None:
            return article
    abort(404)


def translation_links(article: Article) -> list[dict[str, str]]:
    """Links to the other languages of ``article``, each said in the language it leads to."""
    links = []
    for other in articles.translations(article):
        if not other.published and not is_staff():
            continue
        with force_locale(other.locale):
            label = str(catalogue.READ_IN.get(other.locale, other.locale))
        links.append(
            {
                "locale": other.locale,
                "label": label,
                "url": url_for(".article", slug=other.slug, lang=other.locale),
            }
        )
    return links


def voted(article: Article) -> bool:
    return article.id in session.get("help_votes", [])


@bp.get("/help/<slug>")
def article(slug: str) -> str:
    asked = catalogue.asked_locale(request.args.get("lang"))
    shown = article_for_reader(slug, asked)
    from_search = request.args.get("from", type=int)
    if from_search is not None:  # opened from a search's results: what that search led to
        seller_id = current_user.id if current_user.is_authenticated else None
        learning.record_click(from_search, shown.slug, seller_id)
    return render_template(
        "supportdesk_helpcenter/article.html",
        article=shown,
        body=Markup(shown.body_html),  # noqa: S704 (sanitised by rendering.render when saved)  # nosec B704
        asked=asked,
        translations=translation_links(shown),
        related=catalogue.related(shown),
        vote_form=VoteForm(lang=shown.locale),
        voted=voted(shown),
    )


@bp.post("/help/<slug>/vote")
def vote(slug: str) -> Response:
    """Count "was this helpful?" once per article and session, then back to the article."""
    form = VoteForm()
    if not form.validate_on_submit():
        abort(400)
    shown = article_for_reader(slug, catalogue.asked_locale(form.lang.data))
    if not voted(shown):
        articles.record_vote(shown, helpful=form.helpful.data == "yes")
        session["help_votes"] = [*session.get("help_votes", [])[-(VOTES_KEPT - 1) :], shown.id]
    flash(_("Thank you for your feedback."), "success")
    return redirect(url_for(".article", slug=shown.slug, lang=shown.locale, _anchor="helpful"))


# The staff's pages add their routes to bp.
from . import lexicon_views, report_views, staff_views  # noqa: E402, F401
