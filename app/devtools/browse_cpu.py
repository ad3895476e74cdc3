"""In-process CPU per browse request: ``python -m app.devtools.browse_cpu [--requests 2000]``.

The load test's browse scenario (half ``/offers?page=1..5``, half ``/offers/<id>`` of a
published offer, no User-Agent, signed out) through the test client against ``DATABASE_URL``
(a seeded database: ``flask seed-demo``), measured with ``time.process_time`` so that other
load on a shared machine barely moves it. ``PAGE_CACHE_ENABLED=0`` measures without
app.pagecache. Prints CPU and wall time per request and SQL statements per request.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from sqlalchemy import event, select


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app.devtools.browse_cpu")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument(
        "--user-agent", default="", help="empty like the load client, or a browser's (views)"
    )
    args = parser.parse_args()
    from app import create_app
    from app.extensions import db
    from app.offers.models import Offer, OfferStatus

    app = create_app()
    statements = [0]
    with app.app_context():
        published = select(Offer.id).where(Offer.status == OfferStatus.PUBLISHED)
        ids = list(db.session.scalars(published))
        db.session.remove()

        def count(*_: object) -> None:
            statements[0] += 1

        event.listen(db.engine, "before_cursor_execute", count)
    rng = random.Random(1)
    paths = [
        f"/offers?page={rng.randint(1, 5)}" if rng.random() < 0.5 else f"/offers/{rng.choice(ids)}"
        for _ in range(args.requests)
    ]
    # The load client (http.client) sends no User-Agent, so its views count as a crawler's;
    # the test client would send its own ("Werkzeug/..."), which counts as a browser's.
    headers = {"User-Agent": args.user_agent}
    client = app.test_client()
    for path in paths[:50]:  # warm-up: imports, template compilation, connections
        client.get(path, headers=headers)
    cpu: dict[str, list[float]] = {"catalog": [], "detail": []}
    statements[0] = 0
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    for path in paths:
        started = time.process_time()
        response = client.get(path, headers=headers)
        cpu["catalog" if "?" in path else "detail"].append(time.process_time() - started)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    n = len(paths)
    cpu_ms = 1000 * (time.process_time() - cpu_started) / n
    wall_ms = 1000 * (time.perf_counter() - wall_started) / n
    print(
        f"{n} browse requests: CPU {cpu_ms:.2f} ms/request, wall {wall_ms:.2f} ms/request, "
        f"{statements[0] / n:.2f} SQL statements/request"
    )
    for name, values in cpu.items():
        print(f"  {name}: {len(values)} requests, CPU mean {1000 * statistics.mean(values):.2f} ms")


if __name__ == "__main__":
    main()
