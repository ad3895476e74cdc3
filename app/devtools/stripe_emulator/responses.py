"""JSON responses formatted like localstripe's (sorted keys, indented), but typed."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)
