"""qa.settings: defaults < qa.yaml < environment variables."""

from __future__ import annotations

import inspect
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from qa.ingest.chunker import ChunkSettings
from qa.service import QAService
from qa.settings import Settings, SettingsFileError, default


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No QA_* / SLACK_* variables and no qa.yaml but the test's own."""
    for name in list(os.environ):
        if name.startswith(("QA_", "SLACK_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults() -> None:
    settings = Settings()
    assert (settings.corpus_dir, settings.index_dir, settings.cache_dir) == (
        Path("corpus"),
        Path("var/index"),
        Path("var/cache"),
    )
    assert (settings.embedder, settings.top_k, settings.max_question_chars) == ("e5", 5, 500)
    assert (settings.max_passage_chars, settings.min_passage_chars) == (800, 20)
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.site_url == "https://linux.cn"
    assert not settings.slack_enabled


def test_the_code_takes_its_defaults_from_the_settings() -> None:
    settings = Settings()
    assert ChunkSettings() == ChunkSettings(settings.max_passage_chars, settings.min_passage_chars)
    service = inspect.signature(QAService).parameters
    assert (service["max_question_chars"].default, service["default_top_k"].default,
            service["answer_threshold"].default) == (
        settings.max_question_chars, settings.top_k, settings.answer_threshold)
    # The API's schema: tests/api/test_schemas.py.


def test_a_default_is_the_settings_class_s_not_the_environment_s(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_TOP_K", "3")
    (Path.cwd() / "qa.yaml").write_text("max_question_chars: 100\n", encoding="utf-8")
    assert (Settings().top_k, Settings().max_question_chars) == (3, 100)
    assert (default("top_k"), default("max_question_chars"), default("cors_origins")) == (5, 500, [])


def test_environment_variables_use_the_qa_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_TOP_K", "3")
    monkeypatch.setenv("QA_CORPUS_DIR", "/data/articles")
    monkeypatch.setenv("QA_CORS_ORIGINS", '["https://example.org"]')
    settings = Settings()
    assert (settings.top_k, settings.corpus_dir) == (3, Path("/data/articles"))
    assert settings.cors_origins == ["https://example.org"]


def test_slack_variables_keep_slack_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    settings = Settings()
    assert settings.slack_signing_secret is not None
    assert settings.slack_signing_secret.get_secret_value() == "s3cret"
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-1"
    assert "s3cret" not in repr(settings)
    assert settings.slack_enabled


def test_qa_yaml_in_the_working_directory_is_read(clean_env: Path) -> None:
    (clean_env / "qa.yaml").write_text("top_k: 7\nsite_url: https://example.org\n", encoding="utf-8")
    settings = Settings()
    assert (settings.top_k, settings.site_url) == (7, "https://example.org")


def test_environment_beats_the_yaml_file(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / "qa.yaml").write_text("top_k: 7\n", encoding="utf-8")
    monkeypatch.setenv("QA_TOP_K", "2")
    assert Settings().top_k == 2


def test_qa_config_names_the_yaml_file(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / "qa.yaml").write_text("top_k: 7\n", encoding="utf-8")
    (clean_env / "other.yaml").write_text("top_k: 9\n", encoding="utf-8")
    monkeypatch.setenv("QA_CONFIG", str(clean_env / "other.yaml"))
    assert Settings().top_k == 9


def test_qa_config_naming_a_missing_file_is_an_error(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_CONFIG", str(clean_env / "nowhere.yaml"))
    with pytest.raises(SettingsFileError, match=r"QA_CONFIG names .*nowhere\.yaml, which is not a file"):
        Settings()


def test_unknown_yaml_key_is_refused(clean_env: Path) -> None:
    (clean_env / "qa.yaml").write_text("top_kk: 7\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="top_kk"):
        Settings()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("top_k", 0),
        ("top_k", 21),
        ("max_passage_chars", 49),
        ("port", 0),
        ("answer_threshold", 1.5),
        ("embedder", "word2vec"),
        ("max_question_chars", 0),
    ],
)
def test_out_of_range_values_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        Settings(**{field: value})


def test_sentence_transformers_needs_a_model() -> None:
    with pytest.raises(ValidationError, match="set QA_MODEL"):
        Settings(embedder="sentence-transformers")
    assert Settings(embedder="sentence-transformers", model="/models/x").model == "/models/x"
