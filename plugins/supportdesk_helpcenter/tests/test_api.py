"""The help centre's JSON API: shapes, limits, languages and errors as problem+json."""

from __future__ import annotations

import pytest


def problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["type"].startswith("https://")
    return body


def test_search_shape(client, library):
    response = client.get("/api/v1/help/search?q=refunds&lang=en")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"results", "total", "took_ms"}
    assert body["total"] == 1 and isinstance(body["took_ms"], float)
    (hit,) = body["results"]
    assert set(hit) == {"slug", "locale", "title", "url", "snippet", "score"}
    assert hit["slug"] == "refund-a-buyer" and hit["locale"] == "en"
    assert hit["title"] == "Refund a buyer"
    assert hit["url"] == "http://localhost/help/refund-a-buyer?lang=en"
    assert isinstance(hit["score"], float)
    assert "«Refunding»" in hit["snippet"] and "<mark>" not in hit["snippet"]


def test_the_snippet_is_plain_text(client, write_article):
    write_article("angle-brackets", "en", "Angle brackets", 'Type <b & "quotes" to refund.')
    (hit,) = client.get("/api/v1/help/search?q=refund&lang=en").get_json()["results"]
    assert hit["snippet"] == 'Type <b & "quotes" to «refund».'


def test_search_in_french_and_the_default_language(client, library):
    french = client.get("/api/v1/help/search?q=rembourssement&lang=fr").get_json()
    assert french["results"][0]["slug"] == "refund-a-buyer"
    assert french["results"][0]["locale"] == "fr"
    default = client.get("/api/v1/help/search?q=refund").get_json()  # no lang: the UI's (en)
    assert default["results"][0]["locale"] == "en"


def test_limit(client, write_article):
    for number in range(12):
        write_article(f"parcel-{number:02d}", "en", f"Parcel {number:02d}", "parcel")
    assert len(client.get("/api/v1/help/search?q=parcel").get_json()["results"]) == 10
    three = client.get("/api/v1/help/search?q=parcel&limit=3").get_json()
    assert len(three["results"]) == 3 and three["total"] == 12
    assert len(client.get("/api/v1/help/search?q=parcel&limit=50").get_json()["results"]) == 12


@pytest.mark.parametrize("limit", ["0", "51", "-1", "abc", "1.5", "1e3", "٣", "9" * 5000])
def test_a_bad_limit_is_a_problem(client, limit):
    body = problem(client.get("/api/v1/help/search", query_string={"q": "x", "limit": limit}), 400)
    assert set(body["errors"]) == {"limit"}


def test_a_bad_language_and_a_missing_query_are_problems(client):
    body = problem(client.get("/api/v1/help/search?q=x&lang=de"), 400)
    assert set(body["errors"]) == {"lang"}
    body = problem(client.get("/api/v1/help/search"), 400)
    assert set(body["errors"]) == {"q"}
    body = problem(client.get("/api/v1/help/search?q=%20&lang=xx&limit=0"), 400)
    assert set(body["errors"]) == {"q", "lang", "limit"}


def test_article_shape(client, library):
    body = client.get("/api/v1/help/articles/refund-a-buyer?lang=fr").get_json()
    assert body["slug"] == "refund-a-buyer" and body["locale"] == "fr"
    assert body["title"] == "Rembourser un acheteur"
    assert body["category"] == "returns" and body["tags"] == ["remboursement"]
    assert body["related"] == ["ship-an-order"]
    assert body["body_markdown"].startswith("Le remboursement")
    assert "<strong>Rembourser</strong>" in body["body_html"]
    assert body["updated_at"].endswith("+00:00")
    assert body["translations"] == [
        {
            "locale": "en",
            "title": "Refund a buyer",
            "url": "http://localhost/help/refund-a-buyer?lang=en",
        }
    ]


def test_article_without_lang_falls_back_to_the_other_language(client, library):
    body = client.get(
        "/api/v1/help/articles/seller-fees", headers={"Accept-Language": "fr"}
    ).get_json()
    assert body["locale"] == "en"
    problem(client.get("/api/v1/help/articles/seller-fees?lang=fr"), 404)  # asked exactly


def test_unknown_and_draft_articles_are_404_problems(client, library, login, agent):
    problem(client.get("/api/v1/help/articles/no-such-article"), 404)
    problem(client.get("/api/v1/help/articles/upcoming-changes?lang=en"), 404)
    login(client, agent)  # the API is the public help: drafts stay out even for staff
    problem(client.get("/api/v1/help/articles/upcoming-changes?lang=en"), 404)
    body = problem(client.get("/api/v1/help/articles/refund-a-buyer?lang=es"), 400)
    assert set(body["errors"]) == {"lang"}


def test_the_api_is_public_and_read_only(client, library):
    assert client.get("/api/v1/help/search?q=refund").status_code == 200  # no token
    assert client.post("/api/v1/help/search?q=refund").status_code == 405


def test_an_article_carries_its_questions_and_is_found_by_them(client, library, write_article):
    assert client.get("/api/v1/help/articles/refund-a-buyer?lang=en").get_json()["questions"] == []
    questions = ["The parcel came back to me, what now?", "Returned to sender: do I refund?"]
    write_article(
        "returned-parcels",
        "en",
        "Returned parcels",
        "Check the tracking first.",
        questions=questions,
    )
    body = client.get("/api/v1/help/articles/returned-parcels?lang=en").get_json()
    assert body["questions"] == questions
    results = client.get("/api/v1/help/search?q=came+back+to+sender&lang=en").get_json()
    assert results["results"][0]["slug"] == "returned-parcels"  # the words are in no title or body


def test_every_article_field_is_described_in_the_openapi_document(client, library):
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["HelpArticle"]
    body = client.get("/api/v1/help/articles/refund-a-buyer?lang=en").get_json()
    assert set(body) <= set(schema["properties"])
    assert "search finds the article" in schema["properties"]["questions"]["description"]
