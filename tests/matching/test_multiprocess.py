"""Two processes, one database and index directory: changes and rebuilds reach both."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app import PROJECT_ROOT, migrate

pytestmark = pytest.mark.slow

SETUP = r"""
import sys
from app import create_app
from app.extensions import db
from app.matching import index
from app.offers import services as offers
from app.accounts.models import User
from app.offers.models import Offer
from tests.factories import make_creator, make_offer

url, index_dir, instance, action = sys.argv[1:5]
app = create_app({"DATABASE_URL": url, "INDEX_DIR": index_dir, "INSTANCE_PATH": instance,
                  "SECRET_KEY": "x"})
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
"""


def run_setup(*args: str) -> None:
    subprocess.run([sys.executable, "-c", SETUP, *args], check=True, cwd=PROJECT_ROOT, timeout=120)


def test_second_process_sees_new_offers_and_reloads_rebuilt_index(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    migrate.upgrade(url)
    index_dir, instance = str(tmp_path / "index"), str(tmp_path / "instance")
    run_setup(url, index_dir, instance, "first")

    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.matching.index_worker", url, index_dir, instance],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:
        assert worker.stdout.readline().strip() == "ready"

        def state() -> dict:
            worker.stdin.write("state\n")
            worker.stdin.flush()
            return json.loads(worker.stdout.readline())

        first = state()
        assert first["documents"] == 1 and first["version"] == 1

        run_setup(url, index_dir, instance, "second")  # committed by another process
        second = state()
        assert second["documents"] == 2 and second["version"] == 1  # from the outbox tail

        run_setup(url, index_dir, instance, "pause-and-rebuild")
        third = state()
        assert third["version"] == 2  # the rebuilt snapshot was loaded
        assert third["documents"] == 1 and third["ids"] == [max(second["ids"])]
    finally:
        worker.stdin.close()
        worker.wait(timeout=30)
