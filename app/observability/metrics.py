"""Prometheus metrics, scraped at /metrics.

Under gunicorn each worker is a process: with ``PROMETHEUS_MULTIPROC_DIR`` set (app/gunicorn.conf.py
sets it) prometheus-client keeps every process's samples in files there and a scrape, answered
by any one worker, adds them up. Without it (development server) the in-process registry is
served. The job queue lag is read from the database at scrape time, so it is right whichever
process answers and needs no background thread.

/metrics answers only callers on the loopback address that did not come through a proxy, or
callers presenting ``Authorization: Bearer <METRICS_TOKEN>``.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import SQLAlchemyError

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)

REQUEST_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint (Flask endpoint name), method and status.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
MATCH_LATENCY = Histogram(
    "matching_duration_seconds",
    "Time spent ranking: creators for a brief (recommend) or offers for a search (search).",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
WEBHOOK_FAILURES = Counter(
    "stripe_webhook_failures_total",
    "Stripe webhook deliveries answered with an error (Stripe retries them), by status.",
    ["status"],
)
WEBHOOK_ENDPOINT = "stripe_webhooks.receive"

bp = Blueprint("observability", __name__)


def timed_match(operation: str) -> Callable[[F], F]:
    """Record the decorated matching service's duration under ``operation``."""

    def decorator(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                MATCH_LATENCY.labels(operation).observe(time.perf_counter() - started)

        return cast(F, wrapper)

    return decorator


def start_timer() -> None:
    g.request_started = time.perf_counter()


def observe_request(response: Response) -> Response:
    started = g.get("request_started")
    if started is not None:
        endpoint = request.endpoint or "unmatched"
        status = str(response.status_code)
        REQUEST_LATENCY.labels(endpoint, request.method, status).observe(
            time.perf_counter() - started
        )
        if endpoint == WEBHOOK_ENDPOINT and response.status_code >= 400:
            WEBHOOK_FAILURES.labels(status).inc()
    return response


class JobQueueCollector:
    """The one job queue (app.jobs), read at scrape time: ``payments_job_queue_lag_seconds``,
    age of the oldest pending job that is due (0 when none is); ``payments_jobs_due``, how
    many are due; ``jobs_failed``, how many gave up and wait for a person. (The first two
    keep the names they had when the queue only held payment timers, for existing alerts.)"""

    def collect(self) -> Iterator[Metric]:
        from sqlalchemy import func, select

        from app import clock
        from app.extensions import db
        from app.jobs import Job, JobStatus

        now = clock.now()
        due = (Job.status == JobStatus.PENDING) & (Job.due_at <= now)
        try:
            oldest, count = db.session.execute(
                select(func.min(Job.due_at), func.count()).where(due)
            ).one()
            failed = db.session.scalar(
                select(func.count()).select_from(Job).where(Job.status == JobStatus.FAILED)
            )
        except SQLAlchemyError:
            # The request metrics are still worth serving while the database is away.
            db.session.rollback()
            log.warning("job queue metrics unavailable", exc_info=True)
            return
        lag = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "payments_job_queue_lag_seconds",
            "Seconds the oldest due job (timer, payout, retry) has been waiting.",
            value=lag,
        )
        yield GaugeMetricFamily(
            "payments_jobs_due", "Pending jobs whose due time has passed.", value=count
        )
        yield GaugeMetricFamily(
            "jobs_failed", "Jobs that gave up and need a person.", value=failed or 0
        )


class _ProcessRegistry:
    """The in-process default registry, as one collector of a per-scrape registry."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


FORWARDING_HEADERS = (
    "Forwarded",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Real-IP",
    "X-Client-IP",
    "True-Client-IP",
    "CF-Connecting-IP",
    "Fastly-Client-IP",
    "X-Cluster-Client-IP",
    "Via",
)


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    # A reverse proxy on the same host makes every caller look local; proxies mark what they
    # forward with one of these headers (nginx's common setup sends only X-Real-IP).
    if any(request.headers.get(name) for name in FORWARDING_HEADERS):
        return False
    # The connection's own peer, not the address ProxyFix derived from X-Forwarded-For.
    original = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
    try:
        return ipaddress.ip_address(original or request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/metrics")
def metrics() -> Response:
    if not _allowed():
        abort(403, description="Metrics are served to localhost or with the metrics token.")
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_ProcessRegistry())
    registry.register(JobQueueCollector())
    response = Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_metrics(app: Flask) -> None:
    app.before_request(start_timer)
    app.after_request(observe_request)
    app.register_blueprint(bp)
