"""Every setting is documented in the README, under its YAML key and its environment variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import AliasChoices

from qa.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def _env_var(name: str) -> str:
    """QA_<NAME>, or the Slack alias (SLACK_SIGNING_SECRET) where the setting has one."""
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        for choice in alias.choices:
            if isinstance(choice, str) and choice.isupper():
                return choice
    return f"QA_{name.upper()}"


def test_env_var_names() -> None:
    assert _env_var("top_k") == "QA_TOP_K"
    assert _env_var("slack_signing_secret") == "SLACK_SIGNING_SECRET"
    assert _env_var("slack_bot_token") == "SLACK_BOT_TOKEN"


@pytest.fixture(scope="module")
def readme() -> str:
    if not README.is_file():
        pytest.fail(f"{README} is missing: it must document every setting (see qa/settings.py)")
    return README.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_setting_is_documented_in_readme(readme: str, name: str) -> None:
    env = _env_var(name)
    assert re.search(rf"\b{env}\b", readme), f"README.md does not mention {env} (setting `{name}`)"
    assert re.search(rf"\b{name}\b", readme), f"README.md does not mention the qa.yaml key `{name}`"
