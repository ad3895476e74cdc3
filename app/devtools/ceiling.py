"""The ceiling of the load test: the smallest honest Flask page on this machine.

One indexed SELECT (an offer by primary key, through SQLAlchemy Core on the same database and
driver as the app) and a small Jinja template, served by the same gunicorn settings
(app/gunicorn_conf.py) and driven by the same client as the real pages. What the app's
browse pages reach is reported as a share of this (``ratio browse-alone/ceiling``).

Not part of the app: ``gunicorn -c app/gunicorn_conf.py 'app.devtools.ceiling:create_app()'``.
"""

from __future__ import annotations

import os

from flask import Flask, abort, render_template_string
from sqlalchemy import create_engine, text

TEMPLATE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ title }}</title></head><body><main><h1>{{ title }}</h1>
<p>from {{ "%.2f"|format(price / 100) }} {{ currency }}</p></main></body></html>"""

QUERY = text("SELECT id, title, price_from_minor, currency FROM offers WHERE id = :id")


def create_app() -> Flask:
    app = Flask(__name__)
    url = os.environ["DATABASE_URL"]
    engine = create_engine(url, pool_size=2, pool_pre_ping=False)

    @app.get("/readyz")
    def ready() -> str:
        return "ok"

    @app.get("/ceiling/<int:offer_id>")
    def page(offer_id: int) -> str:
        with engine.connect() as conn:
            row = conn.execute(QUERY, {"id": offer_id}).first()
        if row is None:
            abort(404)
        return render_template_string(
            TEMPLATE, title=row.title, price=row.price_from_minor or 0, currency=row.currency
        )

    app.extensions["ceiling_engine"] = engine
    return app
