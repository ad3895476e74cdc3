"""The in-flight guard of the idempotency middleware, with a deliberately slow endpoint.

The emulator's own endpoints never yield to the event loop while executing, so over HTTP two
identical requests simply serialise (see test_concurrent_identical_requests_execute_once).
To prove that a duplicate arriving *while* the first one is still executing cannot run, this
test mounts the real middleware in a real aiohttp server, in process, in front of an endpoint
that sleeps.
"""

from __future__ import annotations

import asyncio
import uuid
import warnings
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

with warnings.catch_warnings():
    # Importing localstripe builds its app from plain-function handlers, which aiohttp
    # flags as deprecated; the emulator wraps them, this test only needs the middleware.
    warnings.simplefilter("ignore", DeprecationWarning)
    from localstripe.server import error_middleware

    from app.devtools.stripe_emulator import state
    from app.devtools.stripe_emulator.idempotency import idempotency_middleware


def test_duplicate_during_execution_gets_409_then_replays(tmp_path: Path) -> None:
    state.use_state_file(tmp_path / "in-flight.pickle")
    calls = 0

    async def slow_create(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.3)
        return web.json_response({"id": f"thing_{calls}"})

    async def scenario() -> None:
        app = web.Application(middlewares=[error_middleware, idempotency_middleware])
        app.router.add_post("/v1/things", slow_create)
        headers = {"Idempotency-Key": "race-" + uuid.uuid4().hex}
        async with TestClient(TestServer(app)) as http:
            first, second = await asyncio.gather(
                http.post("/v1/things", data={"a": "1"}, headers=headers),
                http.post("/v1/things", data={"a": "1"}, headers=headers),
            )
            assert sorted([first.status, second.status]) == [200, 409]
            conflict = first if first.status == 409 else second
            body = await conflict.json()
            assert body["error"]["type"] == "idempotency_error"
            assert body["error"]["code"] == "idempotency_key_in_use"

            replay = await http.post("/v1/things", data={"a": "1"}, headers=headers)
            assert replay.status == 200
            assert replay.headers["Idempotent-Replayed"] == "true"
            assert await replay.json() == {"id": "thing_1"}

    asyncio.run(scenario())
    assert calls == 1
