"""Extension objects, created unbound and attached to an app in ``create_app``."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from app.db import configure_sqlite, install_session_hooks


class Database:
    """Engine plus a request-scoped session; the only way the app reaches the database."""

    def __init__(self) -> None:
        self._factory = sessionmaker(expire_on_commit=False)
        install_session_hooks(self._factory)
        self.session: scoped_session[Session] = scoped_session(self._factory)
        self.engine: Engine | None = None

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        options: dict[str, Any] = {"echo": app.config["SQL_ECHO"], "future": True}
        if url.startswith("sqlite"):
            options["connect_args"] = {"check_same_thread": False}
        else:
            options["pool_pre_ping"] = True
        self.engine = create_engine(url, **options)
        if url.startswith("sqlite"):
            configure_sqlite(self.engine)
        self._factory.configure(bind=self.engine)
        app.extensions["database"] = self

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            self.session.remove()

    def bind(self, bind: Any, **options: Any) -> None:
        """Rebind sessions (tests bind them to one connection inside an outer transaction)."""
        self.session.remove()
        self._factory.configure(bind=bind, **options)

    @property
    def is_postgres(self) -> bool:
        return self.engine is not None and self.engine.dialect.name == "postgresql"


db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
