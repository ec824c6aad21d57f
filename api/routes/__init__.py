"""The API's routers, one module per concern."""

from api.routes import ask, health, lookup, pages

ROUTERS = (ask.router, lookup.router, health.router, pages.router, pages.api_router)
