"""Registration, login/logout, account settings, creator profile, API tokens."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app import events
from app.accounts import services, signup
from app.accounts.auth import current
from app.accounts.errors import InvalidCredentials
from app.accounts.forms import (
    AccountForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    TokenForm,
)
from app.accounts.models import ApiToken, User
from app.accounts.signup_views import mail_links
from app.errors import DomainError, retry_after_headers
from app.extensions import db
from app.forms import FORM_ERROR_STATUS, apply_errors, split_list
from app.media import gallery
from app.money import parse_major
from app.offers.models import Offer, OfferStatus
from app.security import ratelimit
from app.web import attempt, keep, safe_next, submit

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    return safe_next(target, url_for("pages.dashboard"))


def _throttle_policy() -> services.ThrottlePolicy:
    return services.ThrottlePolicy(
        max_failures=current_app.config["LOGIN_THROTTLE_MAX_FAILURES"],
        window=timedelta(seconds=current_app.config["LOGIN_THROTTLE_WINDOW_SECONDS"]),
        max_delay=timedelta(seconds=current_app.config["LOGIN_THROTTLE_MAX_DELAY_SECONDS"]),
    )


@bp.route("/register", methods=["GET", "POST"])
def register() -> str | Response | tuple[str, int]:
    form = RegisterForm()
    if form.validate_on_submit():
        ratelimit.hit("signup.client")
        ratelimit.hit("signup.email", (form.email.data or "").strip().lower())
        data = services.SignUpInput(
            email=form.email.data or "",
            password=form.password.data or "",
            display_name=form.display_name.data or "",
            as_creator=form.as_creator.data,
            as_business=form.as_business.data,
            company_name=form.company_name.data,
        )
        try:
            with attempt():
                signup.sign_up(
                    db.session(), current_app.config["SECRET_KEY"], data, urls=mail_links()
                )
        except DomainError as error:
            apply_errors(form, error)
        else:
            # The same answer whether or not the address has an account: the mail tells.
            return redirect(url_for("signup.check_email"))
    status = FORM_ERROR_STATUS if form.is_submitted() else 200
    return render_template("accounts/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    form = LoginForm()
    if form.validate_on_submit():
        session = db.session()
        email, address = form.email.data or "", ratelimit.client_address()
        try:
            ratelimit.hit("login.client")
            with attempt():
                user = services.authenticate(
                    session,
                    email=email,
                    password=form.password.data or "",
                    remote_addr=address,
                    policy=_throttle_policy(),
                )
        except InvalidCredentials as error:
            # The failure is kept whatever happens to the rest of this request: it is what
            # throttles the next attempts.
            keep(session, services.login_failure(email=email, remote_addr=address))
            form.password.errors = [error.message]
            return render_template("accounts/login.html", form=form), error.status
        except DomainError as error:
            form.password.errors = [error.message]
            page = render_template("accounts/login.html", form=form)
            return page, error.status, retry_after_headers(error)
        services.start_session(session, user)
        login_user(user, remember=form.remember.data)
        return redirect(_safe_next(request.args.get("next")))
    status = FORM_ERROR_STATUS if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    services.end_session(db.session(), current())
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("pages.home"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> str | Response | tuple[str, int]:
    user = current()
    form = AccountForm(obj=user, as_creator=user.is_creator, as_business=user.is_business)
    return submit(
        form,
        lambda: services.update_account(
            db.session(),
            user,
            display_name=form.display_name.data or "",
            company_name=form.company_name.data,
            as_creator=form.as_creator.data,
            as_business=form.as_business.data,
        ),
        done="Account updated.",
        then=url_for("accounts.settings"),
        render=lambda status: (
            render_template("accounts/settings.html", form=form, password_form=PasswordForm()),
            status,
        ),
        code=302,
    )


@bp.post("/settings/password")
@login_required
def change_password() -> str | Response | tuple[str, int]:
    user = current()
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            with attempt():
                services.change_password(
                    db.session(),
                    user,
                    current=form.current_password.data or "",
                    new=form.new_password.data or "",
                )
        except DomainError as error:
            apply_errors(form, error)
        else:
            # Re-issue this session with the new session version and a new session id.
            services.start_session(db.session(), user)
            login_user(user)
            flash(
                "Password changed. Other sessions were signed out and API tokens revoked.",
                "success",
            )
            return redirect(url_for("accounts.settings"))
    account_form = AccountForm(obj=user, as_creator=user.is_creator, as_business=user.is_business)
    return render_template(
        "accounts/settings.html", form=account_form, password_form=form
    ), FORM_ERROR_STATUS


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def profile_settings() -> str | Response | tuple[str, int]:
    user = current()
    profile = user.profile
    if profile is None:
        flash("Enable the creator role first to get a public profile.", "info")
        return redirect(url_for("accounts.settings"))
    # On POST only the submitted data counts (a missing field must not fall back to the
    # stored list value).
    form = ProfileForm(obj=profile) if request.method == "GET" else ProfileForm()
    if request.method == "GET":
        form.skills.data = ", ".join(profile.skills)
        form.languages.data = ", ".join(profile.languages)
        form.portfolio_links.data = "\n".join(profile.portfolio_links)
        if profile.hourly_rate_minor is not None:
            form.hourly_rate.data = Decimal(profile.hourly_rate_minor) / 100

    def save() -> None:
        rate = form.hourly_rate.data
        data = services.ProfileInput(
            headline=form.headline.data or "",
            bio=form.bio.data or "",
            skills=split_list(form.skills.data),
            portfolio_links=split_list(form.portfolio_links.data, sep="\n"),
            country=(form.country.data or "").strip() or None,
            languages=split_list(form.languages.data),
            hourly_rate_minor=parse_major(rate) if rate is not None else None,
            currency=form.currency.data or "USD",
            availability=form.availability.data or "",
        )
        services.update_profile(db.session(), user, data)

    return submit(
        form,
        save,
        done="Profile saved.",
        then=url_for("accounts.public_profile", user_id=user.id),
        render=lambda status: (render_template("accounts/profile_form.html", form=form), status),
        code=302,
    )


@bp.get("/creators/<int:user_id>")
def public_profile(user_id: int) -> str:
    session = db.session()
    user = session.get(User, user_id)
    if user is None or user.profile is None or not user.is_creator or not user.is_active:
        abort(404)
    if user.profile.hidden_at is not None:  # hidden by a moderator
        abort(404)
    offers = session.scalars(
        select(Offer)
        .where(
            Offer.creator_id == user.id,
            Offer.status == OfferStatus.PUBLISHED,
            Offer.hidden_at.is_(None),
        )
        .order_by(Offer.published_at.desc())
    ).all()
    if current_user.is_authenticated:
        events.publish(session, "profile.viewed", user, actor_id=current().id)
    return render_template(
        "accounts/public_profile.html",
        creator=user,
        profile=user.profile,
        offers=offers,
        pictures=gallery.for_offer_cards(session, offers),
        portfolio=gallery.portfolios(session, [user.id]).get(user.id, []),
        avatar=gallery.avatars_of(session, [user.id]).get(user.id),
    )


@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> str | tuple[str, int]:
    user = current()
    form = TokenForm()
    new_secret = None
    if form.validate_on_submit():
        try:
            with attempt():
                _token, new_secret = services.create_api_token(
                    db.session(), user, name=form.name.data or ""
                )
        except DomainError as error:
            apply_errors(form, error)
    listed = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ).all()
    status = FORM_ERROR_STATUS if form.is_submitted() and new_secret is None else 200
    return render_template(
        "accounts/tokens.html", form=form, tokens=listed, new_secret=new_secret
    ), status


@bp.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Response:
    services.revoke_api_token(db.session(), current(), token_id)
    flash("Token revoked.", "success")
    return redirect(url_for("accounts.tokens"))
