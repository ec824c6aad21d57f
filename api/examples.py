"""Questions to suggest about the articles being served: for the demo page,
the widget's greeting and the example in error messages."""

from __future__ import annotations

from starlette.datastructures import State


def example_questions(state: State) -> list[str]:
    """The `example_questions` setting, else (once the index is loaded) the
    questions its articles' front matter names (`questions:`); none before then."""
    settings = getattr(state, "settings", None)
    if settings is not None and settings.example_questions:
        return list(settings.example_questions)
    service = getattr(state, "service", None)
    return list(service.examples) if service is not None else []
