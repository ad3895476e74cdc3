"""The message form (field names equal the service's error keys: ``body``, ``files``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import TextAreaField
from wtforms.validators import Length

from app.messaging.services import MAX_BODY
from app.payments.forms import _storable_check


class MessageForm(FlaskForm):
    body = TextAreaField("Message", validators=[Length(max=MAX_BODY), _storable_check])
    files = MultipleFileField("Attachments (optional)")
