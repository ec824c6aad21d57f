"""Domain errors. Each message states what was wrong and how to fix it;
`api/` maps these to HTTP status codes in one place."""

from __future__ import annotations

from pathlib import Path


class QAError(Exception):
    """Base class of every error this package raises on purpose."""


class ArticleError(QAError):
    """One article cannot be read; the others are still indexed."""

    def __init__(self, path: Path, reason: str, line: int | None = None):
        self.path, self.reason, self.line = path, reason, line
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {reason}")


class CorpusEmptyError(QAError):
    """No article of the corpus folder has a passage to index."""


class IndexNotFoundError(QAError):
    def __init__(self, index_dir: Path):
        super().__init__(
            f"no index in {index_dir}. Build it with `qa index` "
            f"(or set QA_INDEX_DIR to the folder that holds one)."
        )


class IndexMismatchError(QAError):
    """The index on disk was built with another model or settings."""


class IndexDamagedError(QAError):
    """A file of the index is missing, truncated or altered since it was built."""

    def __init__(self, folder: Path, problem: str):
        super().__init__(f"the index in {folder} is damaged: {problem}. Rebuild it with `qa index`.")


class PassageNotFoundError(QAError):
    def __init__(self, passage_id: str):
        self.passage_id = passage_id
        super().__init__(
            f"no passage with id {passage_id!r}. Ids look like "
            f"'article-id#p3'; GET /api/articles lists the articles."
        )


class InvalidQuestionError(QAError):
    """A question that cannot be asked (blank, too long)."""


class EmbedderError(QAError):
    """The embedding model cannot be loaded or used."""


class EvalFileError(QAError):
    """A question file or SQuAD-format set that `qa eval` cannot read."""
