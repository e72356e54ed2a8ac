"""A plugin that rejects its configuration at start-up."""

from supportdesk import hookimpl

name = "bad_startup"


@hookimpl
def startup(app):
    if not app.config.get("SAMPLE_API_KEY"):
        raise ValueError("SAMPLE_API_KEY is not set")
