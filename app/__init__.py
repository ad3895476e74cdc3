"""The C2B marketplace Flask application."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from app.config import PROJECT_ROOT, default_instance_path

__all__ = ["PROJECT_ROOT", "create_app"]


def create_app(config_override: dict[str, Any] | None = None) -> Flask:
    """Build the app; every step is one small configure_* function below."""
    app = Flask(
        __name__,
        instance_path=default_instance_path(),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    configure_settings(app, config_override)
    configure_observability(app)
    configure_database(app)
    configure_auth(app)
    configure_security(app)
    configure_templates(app)
    configure_kernel(app)
    configure_blueprints(app)
    configure_errors(app)
    configure_cli(app)
    configure_ranking_process(app)
    return app


def configure_settings(app: Flask, override: dict[str, Any] | None) -> None:
    from app.config import load_config

    if override and override.get("INSTANCE_PATH"):
        app.instance_path = override["INSTANCE_PATH"]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(app.instance_path, override))


def configure_observability(app: Flask) -> None:
    from app.observability import init_observability

    init_observability(app)


def configure_database(app: Flask) -> None:
    from app.extensions import db
    from app.web import clear_write_intent, commit_unit_of_work, mark_write_intent

    db.init_app(app)
    app.before_request(mark_write_intent)
    app.teardown_request(clear_write_intent)
    app.after_request(commit_unit_of_work)


def configure_auth(app: Flask) -> None:
    from app.accounts.auth import init_auth

    init_auth(app)


def configure_security(app: Flask) -> None:
    from app.extensions import csrf
    from app.security import init_security
    from app.web import set_security_headers

    init_security(app)
    csrf.init_app(app)
    app.after_request(set_security_headers)


def configure_templates(app: Flask) -> None:
    from app.templating import init_templating

    init_templating(app)


def configure_kernel(app: Flask) -> None:
    """Each domain registers its jobs, payable kinds, purchases and event subscribers with the
    kernel (app.jobs, app.settlement, app.events); registering twice is harmless."""
    from app import pagecache, settlement
    from app.campaigns import wiring as campaigns
    from app.contests import wiring as contests
    from app.demand import wiring as demand
    from app.devtools import demo_clock
    from app.disputes import wiring as disputes
    from app.matching import wiring as matching
    from app.media import wiring as media
    from app.negotiation import wiring as negotiation
    from app.notifications import wiring as notifications
    from app.payments import wiring as payments
    from app.pools import wiring as pools
    from app.reviews import wiring as reviews
    from app.settlement import chargebacks

    demo_clock.configure(app)
    pagecache.wire()
    settlement.wire()
    chargebacks.wire()
    domains = (
        payments,
        media,
        contests,
        campaigns,
        pools,
        negotiation,
        disputes,
        reviews,
        matching,
        demand,
    )
    for domain in (*domains, notifications):
        domain.register()


def configure_ranking_process(app: Flask) -> None:
    """Last, so that it wraps every other middleware (app.matching.delegation)."""
    from app.matching.delegation import init_delegation

    init_delegation(app)


def configure_blueprints(app: Flask) -> None:
    from app.accounts.reset_views import bp as password_reset_bp
    from app.accounts.signup_views import bp as signup_bp
    from app.accounts.views import bp as accounts_bp
    from app.admin.views import bp as admin_bp
    from app.api import bp as api_bp
    from app.briefs.views import bp as briefs_bp
    from app.campaigns.views import bp as campaigns_bp
    from app.contests.views import bp as contests_bp
    from app.contracts.views import bp as contracts_bp
    from app.demand.views import bp as demand_bp
    from app.disputes.views import bp as disputes_bp
    from app.insights.views import bp as insights_bp
    from app.matching.views import bp as matching_bp
    from app.media.gallery_views import bp as gallery_bp
    from app.media.views import bp as media_bp
    from app.messaging.views import bp as messaging_bp
    from app.moderation.views import bp as moderation_bp
    from app.negotiation.views import bp as negotiation_bp
    from app.notifications.views import bp as notifications_bp
    from app.offers.views import bp as offers_bp
    from app.orders.views import bp as orders_bp
    from app.pages import bp as pages_bp
    from app.payments.views import bp as payments_bp
    from app.payments.webhooks import bp as stripe_webhooks_bp
    from app.pools.views import bp as pools_bp
    from app.receipts.views import bp as receipts_bp
    from app.reviews.views import bp as reviews_bp
    from app.settlement.views import bp as settlement_bp

    for blueprint in (
        pages_bp,
        accounts_bp,
        password_reset_bp,
        signup_bp,
        offers_bp,
        briefs_bp,
        contracts_bp,
        demand_bp,
        matching_bp,
        payments_bp,
        insights_bp,
        media_bp,
        gallery_bp,
        messaging_bp,
        disputes_bp,
        reviews_bp,
        moderation_bp,
        admin_bp,
        settlement_bp,
        negotiation_bp,
        notifications_bp,
        orders_bp,
        receipts_bp,
        campaigns_bp,
        contests_bp,
        pools_bp,
        api_bp,
        stripe_webhooks_bp,
    ):
        app.register_blueprint(blueprint)


def configure_errors(app: Flask) -> None:
    from app.web import init_error_handlers

    init_error_handlers(app)


def configure_cli(app: Flask) -> None:
    from app.cli import init_cli

    init_cli(app)
    from app.devtools import demo_clock

    demo_clock.register(app)
