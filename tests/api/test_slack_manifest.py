"""The Slack app manifest and the set-up guide agree with the code."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from api.slack import COMMAND, INTERACTIVITY_ROUTE, ROUTE

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "api" / "slack_manifest.yaml"
GUIDES = [ROOT / "README.md"]  # its "Connect to Slack" section


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_manifest_asks_for_the_scopes_the_bot_uses(manifest):
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert sorted(scopes) == ["app_mentions:read", "channels:history", "chat:write", "commands",
                              "groups:history"]
    assert manifest["features"]["bot_user"]["display_name"]


def test_manifest_sends_command_and_mentions_to_the_route(manifest):
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    events = manifest["settings"]["event_subscriptions"]
    assert events["bot_events"] == ["app_mention"]
    for url in (command["url"], events["request_url"]):
        assert url == f"https://YOUR-HOST{ROUTE}"


def test_manifest_sends_button_clicks_to_the_interactivity_route(manifest):
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"] == f"https://YOUR-HOST{INTERACTIVITY_ROUTE}"


def test_manifest_is_an_http_app_for_one_workspace(manifest):
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["settings"]["org_deploy_enabled"] is False


@pytest.mark.parametrize("word", [
    "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "QA_SLACK_API_URL", "api/slack_manifest.yaml", ROUTE, COMMAND,
])
def test_guide_names_every_setting_and_the_route(word):
    guides = "".join(path.read_text(encoding="utf-8") for path in GUIDES if path.is_file())
    assert "## Connect to Slack" in guides
    assert word in guides
