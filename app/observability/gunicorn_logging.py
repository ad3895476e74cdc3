"""gunicorn's own logs (errors and the access log) as JSON lines, like the application's."""

from __future__ import annotations

import logging
from typing import Any

from gunicorn import glogging

from app.observability.logs import JsonFormatter


class JsonLogger(glogging.Logger):
    """Access lines carry method, path, status, duration and the request id the app echoed."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        fields = {
            "remote_addr": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"] or None,
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "user_agent": atoms["a"],
            "request_id": atoms.get("{x-request-id}o"),
        }
        try:
            self.access_log.log(logging.INFO, "request", extra=fields)
        except Exception:  # never let logging break a response
            self.exception("access log failed")
