"""A separate process holding its own live index, driven line by line over stdin.

Used by test_multiprocess.py to prove that another process sees offer changes and reloads a
rebuilt index. Commands: ``state`` prints ``<documents> <version> <sorted offer ids>``.
"""

from __future__ import annotations

import json
import sys

from app import create_app
from app.extensions import db
from app.matching import index


def main() -> None:
    database_url, index_dir, instance = sys.argv[1:4]
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "INDEX_DIR": index_dir,
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "x",
        }
    )
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "state":
            continue
        with app.app_context():
            matcher = index.current_matcher(db.session())
            live = index.live_index()
            ids = sorted(matcher._docs)  # noqa: SLF001 - test introspection
            print(
                json.dumps({"documents": len(matcher), "version": live.version, "ids": ids}),
                flush=True,
            )
            db.session.remove()


if __name__ == "__main__":
    main()
