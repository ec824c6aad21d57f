"""GET /api/articles and GET /api/passages/…: what the index holds."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import ServiceDep
from api.errors import documented
from api.schemas import ArticleOut, PassageOut

router = APIRouter(prefix="/api", tags=["articles"])


@router.get("/articles", responses=documented(503))
def list_articles(service: ServiceDep, response: Response) -> list[ArticleOut]:
    """Every article in the index. The `X-Index-Generation` header names the
    index generation they come from."""
    response.headers["X-Index-Generation"] = service.index.generation
    return [ArticleOut.of(article) for article in service.articles()]


@router.get("/passages/{passage_id}", responses=documented(404, 503))
def get_passage(passage_id: str, service: ServiceDep) -> PassageOut:
    """One passage and its citation. Ids contain `#` (`article-id#p19`), which a
    URL must encode as `%23`: `/api/passages/article-id%23p19`. The path form
    `/api/passages/article-id/p19` needs no encoding."""
    return PassageOut.of(*service.passage(passage_id))


@router.get("/passages/{article_id}/{part}", responses=documented(404, 503))
def get_passage_by_path(article_id: str, part: str, service: ServiceDep) -> PassageOut:
    """The same passage as `/api/passages/{article_id}%23{part}`."""
    return PassageOut.of(*service.passage(f"{article_id}#{part}"))
