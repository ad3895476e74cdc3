"""Alembic, driven from code: the schema is only ever made by the migrations in migrations/.

Domains may add migrations on branches of their own (each starting from the revision they
build on); ``upgrade`` goes to every head, and a merge revision joins them when convenient.

python -m app.migrate upgrade [REV]            # DATABASE_URL or the default SQLite file
python -m app.migrate revision -m "message"    # autogenerate against an upgraded database
"""

from __future__ import annotations

import argparse
from typing import Any

from alembic import command
from alembic.config import Config

from app.config import PROJECT_ROOT, default_instance_path, load_config


def alembic_config(url: str, connection: Any = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "heads", connection: Any = None) -> None:
    command.upgrade(alembic_config(url, connection), revision)


def downgrade(url: str, revision: str, connection: Any = None) -> None:
    command.downgrade(alembic_config(url, connection), revision)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app.migrate")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade")
    up.add_argument("revision", nargs="?", default="heads")
    rev = sub.add_parser("revision")
    rev.add_argument("-m", "--message", required=True)
    args = parser.parse_args()
    url = load_config(default_instance_path())["DATABASE_URL"]
    if args.command == "upgrade":
        upgrade(url, args.revision)
    else:
        command.revision(alembic_config(url), message=args.message, autogenerate=True)


if __name__ == "__main__":
    main()
