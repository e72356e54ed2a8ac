"""What the journeys' pages say in each language, and a check that a page speaks only one.

``TEXT`` holds the French and English wording the journeys look for, written out here (not
read from the catalogue) so that a page in the wrong language, or a string translated away
from what people were shown, fails. ``other_language_on`` finds interface phrases of the other
language on a page: a page half translated shows them.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from babel.messages.pofile import read_po

from supportdesk.i18n import TRANSLATIONS_DIR

#: What the pages say, in each language, at the steps the journeys check.
TEXT: dict[str, dict[str, str]] = {
    "en": {
        "help_centre": "Help centre",
        "sign_in": "Sign in",
        "email": "Email address",
        "password": "Password",
        "search": "Search",
        "query": "payout schedule",
        "search_heading": "Search the help pages",
        "results": r"\d+ results?",
        "article": "Payments and payouts",
        "still_need_help": "Still need help?",
        "contact_support": "Contact support",
        "contact_heading": "Contact seller support",
        "topic": "What is your message about?",
        "order": "Order number",
        "message": "Your message",
        "attach": "Attach files",
        "suggested": "These help articles may answer you",
        "send_message": "Send my message",
        "sent_heading": "Your message has reached seller support",
        "body": "My weekly payout has not arrived on my bank account.",
        "report_fraud": "Report fraud",
        "step_coverage": "The buyer guarantee",
        "no_order": "No order is involved (a suspicious message, a hacked account, …)",
        "step_category": "What happened",
        "payment_fraud": "Payment or chargeback fraud",
        "step_contact": "Contact the other party",
        "contacted": "I have written to the other party through the marketplace messaging service",
        "contacted_on": "When did you write to them?",
        "step_details": "The report",
        "description": "What happened, in your words",
        "party": "The other party's username or identifier",
        "amount": "Amount at stake",
        "currency": "Currency",
        "fraud_text": "The buyer paid with a stolen card and asked me to ship at once.",
        "step_evidence": "Evidence and sending",
        "evidence": "Evidence: screenshots, PDF, saved emails (.eml)",
        "next": "Next",
        "send_report": "Send the report",
        "report_sent": "Your report {ref} is with the fraud team. We write to you here if we need more.",
        "disputes": "Feedback disputes",
        "my_disputes": "My feedback disputes",
        "dispute_feedback": "Dispute a feedback",
        "feedback_date": "Date of the feedback",
        "rating": "Rating the buyer gave",
        "feedback_text": "Text of the feedback",
        "feedback": "Rude seller, call him at 06 12 34 56 78 and tell him so.",
        "assistant": "What our policy assistant sees",
        "explanation": "Your explanation",
        "explained": "The buyer published my phone number in the comment.",
        "send_dispute": "Send my dispute",
        "dispute_sent": "Your dispute is sent. We will answer you by email and on this page.",
        "dispute_heading": "Feedback dispute, order {order}",
        "staff": "Staff",
        "your_queues": "Your queues",
        "queue": "Seller support",
        "take": "Take",
        "taken": "You have taken {ref}.",
        "reply_label": "Reply to the seller",
        "reply": "Your payout left on Monday: it reaches your bank within two working days.",
        "send_reply": "Send reply",
        "reply_sent": "Your reply is sent to the seller.",
        "resolve": "Resolve",
        "resolved_flash": "The case is now “Resolved”.",
        "resolved": "Resolved",
        "my_cases": "My cases",
        "conversation": "Conversation",
        "support": "Seller support",
    },
    "fr": {
        "help_centre": "Centre d’aide",
        "sign_in": "Se connecter",
        "email": "Adresse e-mail",
        "password": "Mot de passe",
        "search": "Rechercher",
        "query": "calendrier des versements",
        "search_heading": "Rechercher dans les pages d’aide",
        "results": r"\d+ résultats?",
        "article": "Paiements et versements",
        "still_need_help": "Besoin d’aide supplémentaire\xa0?",
        "contact_support": "Contacter le support",
        "contact_heading": "Contacter le support vendeurs",
        "topic": "Quel est le sujet de votre message\xa0?",
        "order": "Numéro de commande",
        "message": "Votre message",
        "attach": "Joindre des fichiers",
        "suggested": "Ces articles d’aide peuvent vous répondre",
        "send_message": "Envoyer mon message",
        "sent_heading": "Votre message est bien parvenu au support vendeurs",
        "body": "Mon versement de la semaine n’est pas arrivé sur mon compte bancaire.",
        "report_fraud": "Signaler une fraude",
        "step_coverage": "La garantie acheteurs",
        "no_order": "Aucune commande n’est concernée (un message suspect, un compte piraté…)",
        "step_category": "Ce qui s’est passé",
        "payment_fraud": "Fraude au paiement ou à la rétrofacturation",
        "step_contact": "Contacter l’autre partie",
        "contacted": "J’ai écrit à l’autre partie via la messagerie de la place de marché",
        "contacted_on": "Quand lui avez-vous écrit\xa0?",
        "step_details": "Le signalement",
        "description": "Ce qui s’est passé, avec vos mots",
        "party": "Pseudo ou identifiant de l’autre partie",
        "amount": "Montant en jeu",
        "currency": "Devise",
        "fraud_text": "L’acheteur a payé avec une carte volée et m’a demandé d’expédier tout de suite.",
        "step_evidence": "Preuves et envoi",
        "evidence": "Preuves\xa0: captures d’écran, PDF, e-mails enregistrés (.eml)",
        "next": "Suivant",
        "send_report": "Envoyer le signalement",
        "report_sent": "Votre signalement {ref} a été transmis à l’équipe fraude. Nous vous écrirons ici si nous avons besoin de plus d’informations.",
        "disputes": "Litiges sur les évaluations",
        "my_disputes": "Mes litiges sur des évaluations",
        "dispute_feedback": "Contester une évaluation",
        "feedback_date": "Date de l’évaluation",
        "rating": "Note donnée par l’acheteur",
        "feedback_text": "Texte de l’évaluation",
        "feedback": "Vendeur impoli, appelez-le au 06 12 34 56 78 pour le lui dire.",
        "assistant": "Ce que voit notre assistant des règles",
        "explanation": "Votre explication",
        "explained": "L’acheteur a publié mon numéro de téléphone dans le commentaire.",
        "send_dispute": "Envoyer mon litige",
        "dispute_sent": "Votre litige a été envoyé. Nous vous répondrons par e-mail et sur cette page.",
        "dispute_heading": "Litige sur une évaluation, commande {order}",
        "staff": "Équipe support",
        "your_queues": "Vos files d’attente",
        "queue": "Support vendeurs",
        "take": "Prendre en charge",
        "taken": "Vous avez pris en charge {ref}.",
        "reply_label": "Réponse au vendeur",
        "reply": "Votre versement est parti lundi\xa0: il arrive sur votre compte sous deux jours ouvrés.",
        "send_reply": "Envoyer la réponse",
        "reply_sent": "Votre réponse a été envoyée au vendeur.",
        "resolve": "Résoudre",
        "resolved_flash": "La demande est maintenant «\xa0Résolue\xa0».",
        "resolved": "Résolue",
        "my_cases": "Mes demandes",
        "conversation": "Conversation",
        "support": "Support vendeurs",
    },
}


#: Placeholders in messages: ``%(name)s``, ``%(n)d``, ``{count}``.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}")
#: Shorter pieces of interface text can be words both languages share.
PHRASE_MIN = 20


@cache
def phrases() -> dict[str, frozenset[str]]:
    """The interface's phrases in each language, from the French catalogue (English is the
    source): the pieces of at least ``PHRASE_MIN`` characters between placeholders."""
    with (TRANSLATIONS_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    found: dict[str, set[str]] = {"en": set(), "fr": set()}
    for message in catalog:
        if not message.id or not message.string:
            continue
        for locale, texts in (("en", message.id), ("fr", message.string)):
            for text in texts if isinstance(texts, tuple) else (texts,):
                pieces = (piece.strip() for piece in PLACEHOLDER.split(text))
                found[locale].update(piece for piece in pieces if len(piece) >= PHRASE_MIN)
    return {
        "en": frozenset(found["en"] - found["fr"]),
        "fr": frozenset(found["fr"] - found["en"]),
    }


def other_language_on(page: Any, locale: str) -> list[str]:
    """Interface phrases of the other language on the page: its text, title, placeholders and
    accessible labels (a page half translated shows them)."""
    shown = page.evaluate(
        """() => [document.title, document.body.innerText,
            ...[...document.querySelectorAll("[placeholder], [aria-label], [title]")].map(
                (e) => [e.placeholder, e.getAttribute("aria-label"), e.title].join(" "))
        ].join("\\n")"""
    )
    other = "fr" if locale == "en" else "en"
    return sorted(phrase for phrase in phrases()[other] if phrase in shown)
