"""The policy assistant: what in a feedback's text suggests which reason."""

from __future__ import annotations

import pytest

from supportdesk_disputes.policy import (
    OBSCENE_REASON,
    PERSONAL_INFO,
    PRODUCT_REVIEW,
    check_text,
    text_digest,
)


def reasons(text: str) -> list[str]:
    return [hint.reason for hint in check_text(text)]


def matches(text: str, reason: str) -> tuple[str, ...]:
    return next(hint.matches for hint in check_text(text) if hint.reason == reason)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Write to me at jo.doe+shop@example.co.uk instead", "jo.doe+shop@example.co.uk"),
        ("International: +33 6 12 34 56 78", "+33 6 12 34 56 78"),
        ("From abroad 0033 6 12 34 56 78", "0033 6 12 34 56 78"),
        ("London office +44 (0)20 7946 0958", "+44 (0)20 7946 0958"),
        ("Appelez le 06 12 34 56 78", "06 12 34 56 78"),
        ("Ou le 01.23.45.67.89", "01.23.45.67.89"),
        ("Mobile 07700 900123", "07700 900123"),
        ("Landline 020 7946 0958", "020 7946 0958"),
        ("Call (555) 123-4567 now", "(555) 123-4567"),
        ("Call 555-123-4567 now", "555-123-4567"),
        ("US +1 555 123 4567", "+1 555 123 4567"),
        ("See https://example.com/seller/42 for proof", "https://example.com/seller/42"),
        ("Their site www.cheap-things.shop.", "www.cheap-things.shop"),
        ("Look up cheapthings.com/about", "cheapthings.com/about"),
    ],
)
def test_contact_details_and_links_suggest_personal_information(text, found):
    assert reasons(text) == [PERSONAL_INFO]
    assert found in matches(text, PERSONAL_INFO)


@pytest.mark.parametrize(
    "text",
    [
        "Order 402-1234567 arrived on 2024-05-12, three days late.",
        "Paid 12.50 for 3 items on 05.12.2024, the seller never answered.",
        "Delivered in 2 days, tracking 1Z999AA10123456784, thanks to the seller.",
    ],
)
def test_order_numbers_dates_and_prices_are_not_phone_numbers(text):
    assert PERSONAL_INFO not in reasons(text)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("What a load of BULLSHIT from this guy", "bullshit"),
        ("Seller is an idiot", "idiot"),
        ("Go and piss off", "piss off"),
        ("Quel connard ce vendeur", "connard"),
        ("C'est de la MERDE", "merde"),
        ("Vendeur enculé", "encule"),  # accents are ignored
    ],
)
def test_the_word_lists_of_both_languages_suggest_obscene_language(text, word):
    assert OBSCENE_REASON in reasons(text)
    assert word in matches(text, OBSCENE_REASON)


def test_words_are_matched_whole():
    assert reasons("The Scunthorpe shop, a classic dickensian novel") == []


@pytest.mark.parametrize(
    "text",
    [
        "The product quality is poor and the colour is not as shown.",
        "Size too small, the fabric feels cheap.",
        "La qualité du produit est décevante, la taille est trop petite.",
        "Couleur différente et tissu fragile.",
    ],
)
def test_a_comment_only_about_the_product_suggests_a_product_review(text):
    assert reasons(text) == [PRODUCT_REVIEW]


@pytest.mark.parametrize(
    "text",
    [
        "The product quality is poor and the seller never answered.",
        "Good quality but the delivery took three weeks.",
        "La qualité est bonne mais le colis est arrivé en retard, livraison lente.",
        "Produit correct, vendeur injoignable.",
    ],
)
def test_a_comment_naming_the_seller_shipping_or_service_is_not_a_product_review(text):
    assert PRODUCT_REVIEW not in reasons(text)


def test_several_reasons_can_be_suggested_at_once():
    text = "Shit quality product. Email me: angry@example.com"
    assert reasons(text) == [OBSCENE_REASON, PERSONAL_INFO, PRODUCT_REVIEW]


def test_plain_negative_feedback_suggests_nothing():
    assert check_text("Never again, the worst experience I have had.") == []
    assert check_text("") == []


def test_the_digest_ignores_case_spacing_and_punctuation_but_not_words():
    assert text_digest("Call  me, 06 12!") == text_digest("call me 06 12")
    assert text_digest("Call me") != text_digest("Call you")
