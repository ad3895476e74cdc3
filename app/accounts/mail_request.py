"""The pages that ask for an email address and mail it a link (a password reset, a new
sign-up confirmation): rate-limited per client and per address, and answering every address
the same way, so the form never reveals who has an account."""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.forms import FORM_ERROR_STATUS
from app.security import ratelimit


def mail_request_page(
    form: FlaskForm, *, limits: str, template: str, send: Callable[[str], Response]
) -> Response | tuple[str, int]:
    """Render ``template`` with ``form``; on a valid submission count the attempt against the
    ``<limits>.client`` and ``<limits>.email`` rate limits and return ``send(address)``."""
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        ratelimit.hit(f"{limits}.client")
        ratelimit.hit(f"{limits}.email", email)
        return send(email)
    status = FORM_ERROR_STATUS if form.is_submitted() else 200
    return render_template(template, form=form), status
