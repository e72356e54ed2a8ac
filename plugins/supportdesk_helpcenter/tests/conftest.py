"""Help-centre fixtures: articles written through ``articles.save``, the one write path."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from supportdesk_helpcenter import articles
from supportdesk_helpcenter.articles import ArticleData
from supportdesk_helpcenter.models import Article


@pytest.fixture
def write_article(app) -> Callable[..., Article]:
    """``write_article("slug", "fr", "Titre", "Texte", category=…, published=False)``."""

    def write(slug: str, locale: str = "en", title: str = "", body: str = "", **fields) -> Article:
        title = title or slug.replace("-", " ").capitalize()
        return articles.save(
            ArticleData(slug=slug, locale=locale, title=title, body=body, **fields)
        )

    return write


@pytest.fixture
def library(write_article) -> dict[str, Article]:
    """A small bilingual help centre: refunds and shipping in both languages, fees in English
    only, a draft, and an article whose title holds markup."""
    return {
        "refunds_en": write_article(
            "refund-a-buyer",
            "en",
            "Refund a buyer",
            "Refunding a buyer: open the order and choose **Refund**. Partial refunds are possible.",
            category="returns",
            tags=["refund", "money back"],
            related=["ship-an-order", "upcoming-changes", "no-such-article"],
        ),
        "refunds_fr": write_article(
            "refund-a-buyer",
            "fr",
            "Rembourser un acheteur",
            "Le remboursement se fait depuis la commande : choisissez **Rembourser**.",
            category="returns",
            tags=["remboursement"],
            related=["ship-an-order"],
        ),
        "shipping_en": write_article(
            "ship-an-order",
            "en",
            "Ship an order on time",
            "Orders must be shipped within two business days with a tracking number.",
            category="shipping",
            tags=["shipping", "tracking"],
        ),
        "shipping_fr": write_article(
            "ship-an-order",
            "fr",
            "Commandes expédiées en retard",
            "Les colis expédiés après le délai comptent comme des retards de livraison.",
            category="shipping",
            tags=["livraison"],
        ),
        "fees_en": write_article(
            "seller-fees",
            "en",
            "Seller fees",
            "Each sale costs a commission on the order total.",
            category="payments",
        ),
        "draft_en": write_article(
            "upcoming-changes",
            "en",
            "Upcoming changes to refunds",
            "Not announced yet.",
            category="returns",
            published=False,
        ),
        "markup_en": write_article(
            "scripts-in-listings",
            "en",
            "<script>alert(1)</script> Scripts in listings",
            "Listings may not contain scripts.",
            category="listing-rules",
        ),
    }
