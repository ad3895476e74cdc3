"""/metrics: request, matching, job-queue and webhook metrics; served to localhost or a token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from app import clock, jobs
from app.errors import DomainError
from app.matching import services as matching
from tests.payments.helpers import first_milestone, make_contract


def _sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_request_latency_is_recorded_per_endpoint_method_and_status(client):
    labels = {"endpoint": "health.healthz", "method": "GET", "status": "200"}
    before = _sample("http_request_duration_seconds_count", labels)
    client.get("/healthz")
    client.get("/healthz")
    assert _sample("http_request_duration_seconds_count", labels) == before + 2
    body = client.get("/metrics").get_data(as_text=True)
    assert 'http_request_duration_seconds_bucket{endpoint="health.healthz"' in body


def test_metrics_are_served_to_localhost_in_prometheus_format(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    body = response.get_data(as_text=True)
    for name in (
        "payments_job_queue_lag_seconds",
        "payments_jobs_due",
        "# TYPE http_request_duration_seconds histogram",
        "# TYPE matching_duration_seconds histogram",
        "# TYPE stripe_webhook_failures_total counter",
    ):
        assert name in body


@pytest.mark.parametrize(
    ("environ", "headers"),
    [
        ({"REMOTE_ADDR": "203.0.113.9"}, {}),
        ({"REMOTE_ADDR": "10.1.2.3"}, {"Authorization": "Bearer guess"}),
        ({}, {"X-Forwarded-For": "203.0.113.9"}),  # a local proxy relaying an outsider
        ({}, {"Forwarded": "for=203.0.113.9"}),
    ],
)
def test_metrics_are_refused_to_anyone_else(client, environ, headers):
    response = client.get("/metrics", environ_base=environ, headers=headers)
    assert response.status_code == 403
    assert "http_request_duration_seconds" not in response.get_data(as_text=True)


def test_the_metrics_token_opens_metrics_from_anywhere(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-scrape")
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    ok = client.get(
        "/metrics", environ_base=outside, headers={"Authorization": "Bearer s3cret-scrape"}
    )
    wrong = client.get("/metrics", environ_base=outside, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and wrong.status_code == 403


def _gauge(body: str, name: str) -> float:
    line = next(line for line in body.splitlines() if line.startswith(name + " "))
    return float(line.split()[1])


def test_job_queue_lag_is_the_age_of_the_oldest_due_pending_job(client, session):
    start = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    milestone = first_milestone(session, make_contract(session))
    jobs.run_due(session)  # the "new order" notification mail leaves first (app.notifications)
    with clock.frozen_at(start):
        body = client.get("/metrics").get_data(as_text=True)
        assert _gauge(body, "payments_job_queue_lag_seconds") == 0.0
        jobs.schedule(
            session,
            kind="payout",
            subject_type="payout",
            subject_id=milestone.id,
            due_at=start,
            key="a",
        )
        jobs.schedule(
            session,
            kind="auto_accept",
            subject_type="milestone",
            subject_id=milestone.id,
            due_at=start + timedelta(hours=1),  # not due yet: not lag
            key="b",
        )
        clock.advance(timedelta(seconds=90))
        body = client.get("/metrics").get_data(as_text=True)
    assert _gauge(body, "payments_job_queue_lag_seconds") == 90.0
    assert _gauge(body, "payments_jobs_due") == 1.0


def test_webhook_failures_are_counted_by_status(client):
    before = _sample("stripe_webhook_failures_total", {"status": "400"})
    response = client.post(
        "/stripe/webhook", data=b"{}", headers={"Stripe-Signature": "t=1,v1=forged"}
    )
    assert response.status_code == 400
    assert _sample("stripe_webhook_failures_total", {"status": "400"}) == before + 1


def test_matching_latency_is_recorded_even_when_the_call_fails(session):
    before = _sample("matching_duration_seconds_count", {"operation": "recommend"})
    with pytest.raises(DomainError):
        matching.recommend_creators(session, None, limit=0)  # type: ignore[arg-type]
    assert _sample("matching_duration_seconds_count", {"operation": "recommend"}) == before + 1
