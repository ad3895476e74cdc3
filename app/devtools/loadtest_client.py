"""The load generator of app.devtools.loadtest, run as its own process (standard library only).

Threads share nothing but a milestone queue; each keeps one keep-alive connection to the
server and picks scenarios by weight until the deadline. Only ``--base`` (the loopback address
the orchestrator started gunicorn on) is ever contacted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import time
import urllib.parse
from collections import Counter
from typing import Any

SCENARIOS = {"browse": 40, "search": 25, "matches": 20, "fund": 15}
# The ceiling page (app.devtools.ceiling), driven by the same client; never in the mix.
CEILING = "ceiling"
SEARCHES = [
    "logo design",
    "video editing for youtube",
    "instagram sponsored post",
    "product photography",
    "seo blog articles",
    "podcast audio mixing",
    "mobile app ui design",
    "stock photos of food",
]


class Worker(threading.Thread):
    def __init__(
        self,
        n: int,
        base: str,
        plan: dict[str, Any],
        deadline: float,
        shared: Any,
        weights: dict[str, int] | None = None,
    ):
        super().__init__(daemon=True)
        self.weights = weights or SCENARIOS
        url = urllib.parse.urlsplit(base)
        assert url.hostname in {"127.0.0.1", "localhost", "::1"}, "loopback only"
        self.host, self.port = url.hostname, url.port or 80
        self.plan, self.deadline, self.shared = plan, deadline, shared
        self.rng = random.Random(n)
        self.results: dict[str, dict[str, Any]] = {
            s: {"latencies": [], "errors": 0, "statuses": Counter()} for s in self.weights
        }
        self.conn: http.client.HTTPConnection | None = None

    def _request(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> int:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                response.read()
                return response.status
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = None  # the server closed a kept-alive connection: reconnect once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _next(self) -> tuple[str, str, str, dict[str, str], bytes | None, set[int]] | None:
        scenario = self.rng.choices(list(self.weights), weights=list(self.weights.values()))[0]
        if scenario == CEILING:
            return (
                scenario,
                "GET",
                f"/ceiling/{self.rng.choice(self.plan['offers'])}",
                {},
                None,
                {200},
            )
        if scenario == "browse":
            if self.rng.random() < 0.5:
                path = f"/offers?page={self.rng.randint(1, 5)}"
            else:
                path = f"/offers/{self.rng.choice(self.plan['offers'])}"
            return scenario, "GET", path, {}, None, {200}
        if scenario == "search":
            query = urllib.parse.urlencode({"q": self.rng.choice(SEARCHES)})
            return scenario, "GET", f"/offers?{query}", {}, None, {200}
        if scenario == "matches":
            brief_id, token = self.rng.choice(self.plan["matches"])
            headers = {"Authorization": f"Bearer {token}"}
            return scenario, "GET", f"/api/v1/briefs/{brief_id}/matches", headers, None, {200}
        with self.shared["lock"]:
            if not self.shared["milestones"]:
                return None
            milestone = self.shared["milestones"].pop()
        headers = {
            "Authorization": f"Bearer {self.plan['fund_token']}",
            "Content-Type": "application/json",
        }
        # Creates (then resumes) the milestone's PaymentIntent; the card is confirmed by
        # Stripe.js in a browser, which a load test has none of.
        body = json.dumps({}).encode()
        return scenario, "POST", f"/api/v1/milestones/{milestone}/fund", headers, body, {200}

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            job = self._next()
            if job is None:
                continue
            scenario, method, path, headers, body, ok = job
            started = time.perf_counter()
            try:
                status = self._request(method, path, headers, body)
            except (OSError, http.client.HTTPException):
                status = 0
            elapsed = time.perf_counter() - started
            entry = self.results[scenario]
            entry["latencies"].append(elapsed)
            if status not in ok:
                entry["errors"] += 1
                entry["statuses"][str(status)] += 1


def _run(
    base: str,
    plan: dict[str, Any],
    shared: Any,
    seconds: float,
    concurrency: int,
    weights: dict[str, int] | None = None,
) -> list[Worker]:
    deadline = time.monotonic() + seconds
    workers = [Worker(n, base, plan, deadline, shared, weights) for n in range(concurrency)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=seconds + 120)
    return workers


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app.devtools.loadtest_client")
    parser.add_argument("--base", required=True)
    parser.add_argument("--plan", required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=20.0)
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--weights", default="", help='scenario weights, e.g. "browse=1" (default: the mix)'
    )
    args = parser.parse_args()
    weights = dict(SCENARIOS)
    if args.weights:
        weights = {k: int(v) for k, v in (p.split("=") for p in args.weights.split(","))}
        unknown = set(weights) - {*SCENARIOS, CEILING}
        if unknown:
            raise SystemExit(f"unknown scenarios: {sorted(unknown)}")
    with open(args.plan) as handle:
        plan = json.load(handle)
    shared = {"lock": threading.Lock(), "milestones": list(reversed(plan["milestones"]))}
    # Warm-up, not measured: each worker process loads the embedding model and the index on
    # its first search or match, which takes seconds and says nothing about steady state.
    if args.warmup > 0:
        _run(args.base, plan, shared, min(args.warmup, 120.0), args.concurrency, weights)
    started = time.monotonic()
    workers = _run(args.base, plan, shared, min(args.duration, 600.0), args.concurrency, weights)
    elapsed = time.monotonic() - started
    merged: dict[str, dict[str, Any]] = {}
    for scenario in weights:
        merged[scenario] = {"latencies": [], "errors": 0, "statuses": Counter()}
        for worker in workers:
            part = worker.results[scenario]
            merged[scenario]["latencies"] += part["latencies"]
            merged[scenario]["errors"] += part["errors"]
            merged[scenario]["statuses"].update(part["statuses"])
    with open(args.out, "w") as handle:
        json.dump({"elapsed": elapsed, "by": merged}, handle)


if __name__ == "__main__":
    main()
