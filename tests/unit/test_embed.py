"""Data embedded in the page's <script> elements cannot end them early, whatever it holds."""

import json

from hypothesis import given
from hypothesis import strategies as st

from server.pages import embed_json

HOSTILE = ["</script><script>alert(1)</script>", "<!--<script", "a & b", "it's", "-->", "]]>"]


def test_markup_in_a_value_is_escaped_and_the_value_survives() -> None:
    value = {"symbols": HOSTILE, "last": {name: {"symbol": name} for name in HOSTILE}}
    text = embed_json(value)
    for unsafe in "<>&'":
        assert unsafe not in text
    assert json.loads(text) == value


TEXT = st.text(st.characters(codec="utf-8"))  # JSON text holds no lone surrogate


@given(st.recursive(TEXT, lambda inner: st.lists(inner) | st.dictionaries(TEXT, inner)))
def test_any_json_of_strings_round_trips_without_markup(value: object) -> None:
    text = embed_json(value)
    assert not any(unsafe in text for unsafe in "<>&'")
    assert json.loads(text) == value
