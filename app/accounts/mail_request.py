"""The pages around emailed links (a password reset, a sign-up confirmation): asking for one,
rate-limited per client and per address and answering every address the same way (the form
never reveals who has an account), and the page for a link that no longer works."""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.errors import DomainError
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


def link_invalid_page(error: DomainError, *, again: str, again_label: str) -> tuple[str, int]:
    """An expired, used or forged link: why, and the way (endpoint ``again``) to a new one."""
    page = render_template(
        "accounts/link_invalid.html",
        message=error.message,
        again=url_for(again),
        again_label=again_label,
    )
    return page, error.status
