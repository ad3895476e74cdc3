"""Sign-up confirmation pages: "check your email", the emailed link, and asking for a new one
(app.accounts.signup). Every answer is the same whether or not an address has an account."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import login_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField
from wtforms.validators import DataRequired, Length

from app.accounts import services, signup
from app.accounts.links import InvalidLink
from app.accounts.mail_request import link_invalid_page, mail_request_page
from app.extensions import db
from app.security import external_url
from app.web import attempt

bp = Blueprint("signup", __name__)


class ResendForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class ConfirmForm(FlaskForm):
    pass


def mail_links() -> signup.MailLinks:
    # PUBLIC_BASE_URL, never the Host header: a forged Host must not end up in the mail.
    return signup.MailLinks(
        confirm=lambda token: external_url("signup.confirm", token=token),
        login=external_url("accounts.login"),
        reset=external_url("password_reset.forgot"),
    )


def _max_age() -> int:
    return int(current_app.config["SIGNUP_CONFIRM_MAX_AGE"])


@bp.get("/register/check-email")
def check_email() -> str:
    return render_template("accounts/check_email.html")


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> str | Response | tuple[str, int]:
    """GET shows a button and changes nothing (mail scanners open links); POST confirms."""
    session, secret = db.session(), current_app.config["SECRET_KEY"]
    form = ConfirmForm()
    try:
        if not form.validate_on_submit():
            user = signup.check_token(session, secret, token, max_age=_max_age())
            return render_template("accounts/confirm.html", form=form, user=user)
        with attempt():
            user = signup.confirm(session, secret, token, max_age=_max_age())
    except InvalidLink as error:
        return link_invalid_page(
            error, again="signup.resend", again_label="Ask for a new confirmation link"
        )
    services.start_session(session, user)
    login_user(user)
    flash("Your email address is confirmed. Welcome!", "success")
    return redirect(url_for("pages.dashboard"))


@bp.route("/confirm/resend", methods=["GET", "POST"])
def resend() -> str | Response | tuple[str, int]:
    def send(email: str) -> Response:
        signup.resend(db.session(), current_app.config["SECRET_KEY"], email, urls=mail_links())
        return redirect(url_for("signup.check_email"))

    return mail_request_page(
        ResendForm(), limits="signup", template="accounts/resend_confirmation.html", send=send
    )
