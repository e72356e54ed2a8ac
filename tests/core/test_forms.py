"""The desk's form helpers."""

from __future__ import annotations

import pytest
import wtforms
from flask_wtf import FlaskForm

from supportdesk.forms import SelectField, options

CHOICES = [
    ("", "Any"),
    ("a&b", 'Tom & "Jerry" <b>'),
    ('say "hi"', "Quotes"),
    ("plain", ""),
]


@pytest.mark.parametrize("chosen", ["", "a&b", 'say "hi"', "plain", "unknown"])
def test_the_desk_select_writes_what_wtforms_writes(app, chosen):
    """A seller or agent sees the same select as WTForms' own would show: every option, the
    chosen one selected, values and labels escaped, attributes passed at render time kept."""

    class Desk(FlaskForm):
        field = SelectField("Field")

    class Plain(FlaskForm):
        field = wtforms.SelectField("Field")

    with app.test_request_context(f"/?field={chosen}"):
        desk, plain = Desk(meta={"csrf": False}), Plain(meta={"csrf": False})
        for form in (desk, plain):
            form.field.choices = options(CHOICES)
            form.process(formdata=None, data={"field": chosen})
        assert str(desk.field()) == str(plain.field())
        assert str(desk.field(class_="x", aria_describedby="hint")) == str(
            plain.field(class_="x", aria_describedby="hint")
        )
        html = str(desk.field())
    assert "Tom &amp; &#34;Jerry&#34; &lt;b&gt;" in html
    assert ('selected value="' in html) is (chosen != "unknown")
