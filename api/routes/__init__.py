"""The API's routers, one module per concern."""

from api.routes import ask, editors, health, lookup, pages, votes

ROUTERS = (ask.router, votes.router, lookup.router, health.router, pages.router, pages.api_router,
           editors.router)
