"""`qa serve`: the app under uvicorn, with the service's log set up once."""

from __future__ import annotations

import uvicorn

from api.app import create_app
from api.logs import configure_logging
from qa.settings import Settings


def serve(settings: Settings, host: str, port: int) -> None:
    configure_logging(settings.log_format)
    # uvicorn's own log config would replace this one; its access log would
    # repeat the app's request line (api/logs.py) in another format.
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", log_config=None,
                access_log=False)
