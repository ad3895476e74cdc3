"""The message form (field names equal the service's error keys: ``body``, ``files``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import TextAreaField

from app.forms import text_rules
from app.messaging.services import MAX_BODY


class MessageForm(FlaskForm):
    body = TextAreaField("Message", validators=text_rules(MAX_BODY))
    files = MultipleFileField("Attachments (optional)")
