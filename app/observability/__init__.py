"""Operations: request ids and JSON logs, Prometheus metrics, health and readiness probes.

Installed first among the request hooks (``configure_observability`` runs right after the
settings), so the request id and the latency timer exist before any other hook can fail, and
their after-request halves run last, seeing the final status.
"""

from __future__ import annotations

from flask import Flask


def init_observability(app: Flask) -> None:
    from app.observability.health import bp as health_bp
    from app.observability.logs import init_logging
    from app.observability.metrics import init_metrics

    init_logging(app)
    init_metrics(app)
    app.register_blueprint(health_bp)
