"""Two processes, one database and index directory: changes and rebuilds reach both."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app import PROJECT_ROOT, migrate

pytestmark = pytest.mark.slow

WRITER = r"""
import sys
from app import create_app
from app.extensions import db
from app.matching import index
from app.offers import services as offers
from app.accounts.models import User
from app.offers.models import Offer
from tests.factories import make_creator, make_offer

url, index_dir, instance = sys.argv[1:4]
app = create_app({"DATABASE_URL": url, "INDEX_DIR": index_dir, "INSTANCE_PATH": instance,
                  "SECRET_KEY": "x"})
for line in sys.stdin:
    action = line.strip()
    with app.app_context():
        s = db.session()
        if action == "first":
            make_offer(s, make_creator(s), status="published", title="Wedding photography coverage")
            s.commit()
            index.rebuild(s)
        elif action == "second":
            make_offer(s, make_creator(s, email="dev@example.com"), status="published",
                       title="Python API development")
        elif action == "pause-and-rebuild":
            offer = s.query(Offer).order_by(Offer.id).first()
            offers.pause(s, offer, s.get(User, offer.creator_id))
            s.commit()
            index.rebuild(s)
        s.commit()
        db.session.remove()
    print("done", flush=True)
"""


def _driven(*command: str) -> subprocess.Popen[str]:
    """A process driven line by line over stdin (one interpreter start each: the imports and
    the encoder load are most of this test's time)."""
    return subprocess.Popen(
        [sys.executable, *command],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )


def _ask(process: subprocess.Popen[str], line: str) -> str:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(line + "\n")
    process.stdin.flush()
    return process.stdout.readline().strip()


def test_second_process_sees_new_offers_and_reloads_rebuilt_index(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    migrate.upgrade(url)
    index_dir, instance = str(tmp_path / "index"), str(tmp_path / "instance")
    writer = _driven("-c", WRITER, url, index_dir, instance)
    worker = None
    try:
        assert _ask(writer, "first") == "done"
        worker = _driven("-m", "tests.matching.index_worker", url, index_dir, instance)
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"

        def state() -> dict:
            return json.loads(_ask(worker, "state"))

        first = state()
        assert first["documents"] == 1 and first["version"] == 1

        assert _ask(writer, "second") == "done"  # committed by another process
        second = state()
        assert second["documents"] == 2 and second["version"] == 1  # from the outbox tail

        assert _ask(writer, "pause-and-rebuild") == "done"
        third = state()
        assert third["version"] == 2  # the rebuilt snapshot was loaded
        assert third["documents"] == 1 and third["ids"] == [max(second["ids"])]
    finally:
        for process in (writer, worker):
            if process is not None and process.stdin is not None:
                process.stdin.close()
                process.wait(timeout=30)
