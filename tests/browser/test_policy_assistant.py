"""The dispute form's policy assistant when its script is slow to arrive.

On a slow connection a seller can type the feedback's text before ``policy-check.js`` has run:
the assistant must still show what it sees in that text, without waiting for another key press.
"""

from __future__ import annotations

from typing import Any

from .conftest import BROWSER_MARKS, PASSWORD, LiveDesk, open_page
from .wording import TEXT

pytestmark = BROWSER_MARKS


def test_text_typed_before_the_script_ran_is_checked(live_desk: LiveDesk, chromium: Any) -> None:
    text = TEXT["en"]
    live_desk.create_user("slow.line@example.com", "seller", "Slow Line")
    page, watch = open_page(chromium, live_desk)
    held: list[Any] = []
    try:
        page.goto("/sign-in?next=/disputes/new")
        page.get_by_label(text["email"], exact=True).fill("slow.line@example.com")
        page.get_by_label(text["password"], exact=True).fill(PASSWORD)
        page.get_by_role("button", name=text["sign_in"], exact=True).click()
        page.wait_for_url("**/disputes/new")

        # The script is held back until the seller has typed; the page is used as soon as it
        # is there, before its deferred script.
        page.route("**/policy-check.js", lambda route: held.append(route))
        page.goto("/disputes/new", wait_until="commit")
        page.get_by_label(text["feedback_text"], exact=True).fill(text["feedback"])
        assert held, "the script was not asked for"
        hints = page.locator("#dispute-hints")
        assert hints.is_hidden()

        held.pop().continue_()
        hints.get_by_role("heading", name=text["assistant"]).wait_for()
        assert "06 12 34 56 78" in hints.inner_text()
        assert watch.attacks() == []
    finally:
        for route in held:
            route.continue_()
        page.context.close()
