"""The emulator's notion of now, which tests may move forward (``POST /_config/clock``).

Only what depends on elapsed time reads it: idempotency keys expire 24 h after their first use
(so a test can show what happens after the key window) and balance transactions become
available after the settlement delay.
"""

from __future__ import annotations

import time

from aiohttp import web

from .params import as_int, body_params
from .responses import json_response

_offset = 0


def now() -> float:
    return time.time() + _offset


async def config_advance(request: web.Request) -> web.Response:
    """``{"seconds": N}``: move the emulator's clock N seconds forward (memory only)."""
    global _offset
    seconds = as_int(await body_params(request), "seconds", positive=True) or 0
    _offset += seconds
    return json_response({"now": int(now()), "offset": _offset})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/_config/clock", config_advance)
