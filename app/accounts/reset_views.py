"""Forgot password -> emailed link -> choose a new password (app.accounts.reset)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from app.accounts import reset as reset_service
from app.accounts.mail_request import link_invalid_page, mail_request_page
from app.extensions import db
from app.security import external_url
from app.web import submit

bp = Blueprint("password_reset", __name__)

SENT_MESSAGE = (
    "If an account exists for that address, we have emailed it a link to reset the password. "
    "The link works for one hour."
)


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )


def _max_age() -> int:
    return int(current_app.config["PASSWORD_RESET_MAX_AGE"])


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot() -> str | Response | tuple[str, int]:
    def send(email: str) -> Response:
        reset_service.request_reset(
            db.session(),
            current_app.config["SECRET_KEY"],
            email,
            # PUBLIC_BASE_URL, never the Host header: a forged Host must not end up in the mail.
            link_for=lambda token: external_url("password_reset.reset", token=token),
        )
        # The same answer for every address: the form must not reveal who has an account.
        flash(SENT_MESSAGE, "info")
        return redirect(url_for("accounts.login"))

    return mail_request_page(
        ForgotPasswordForm(), limits="reset", template="accounts/forgot_password.html", send=send
    )


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset(token: str) -> str | Response | tuple[str, int]:
    session, secret = db.session(), current_app.config["SECRET_KEY"]
    try:
        reset_service.user_for_token(session, secret, token, max_age=_max_age())
    except reset_service.InvalidResetToken as error:
        return link_invalid_page(
            error, again="password_reset.forgot", again_label="Ask for a new reset link"
        )
    form = ResetPasswordForm()
    return submit(
        form,
        lambda: reset_service.reset_password(
            session, secret, token, form.password.data or "", max_age=_max_age()
        ),
        done="Your password was changed. Sign in with the new one.",
        then=url_for("accounts.login"),
        render=lambda status: (render_template("accounts/reset_password.html", form=form), status),
        code=302,
    )
