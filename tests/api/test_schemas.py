"""api.schemas: the request bodies' limits and defaults are the settings'."""

from __future__ import annotations

from api.schemas import AskRequest, MarkRequest
from qa.settings import MAX_TOP_K, Settings, default


def test_ask_request_states_the_settings_defaults_and_bounds() -> None:
    schema = AskRequest.model_json_schema()["properties"]
    assert f"1 to {default('max_question_chars')} characters" in schema["question"]["description"]
    assert f"1 to {MAX_TOP_K}; default {default('top_k')} " in schema["top_k"]["description"]
    assert schema["top_k"]["anyOf"][0]["maximum"] == MAX_TOP_K
    assert Settings.model_json_schema()["properties"]["top_k"]["maximum"] == MAX_TOP_K


def test_a_marked_question_may_be_as_long_as_an_asked_one() -> None:
    schema = MarkRequest.model_json_schema()["properties"]["question"]
    assert schema["maxLength"] == default("max_question_chars")
