"""Forms for the campaign pages. Field names equal the services' error keys (``text``,
``caption``, ``note``, ``post_url``, ``kind``, ``detail``, ``deliverables``), so domain errors
land next to the right field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, ValidationError

from app.campaigns.content import MAX_URL
from app.campaigns.models import ViolationKind
from app.campaigns.services import MAX_NOTE, MAX_TEXT
from app.forms import select_choices
from app.payments.forms import storable


def _storable_check(form: object, field: StringField) -> None:
    if isinstance(field.data, str) and not storable(field.data):
        raise ValidationError("Contains characters that cannot be stored.")


class ActionForm(FlaskForm):
    """Approve or confirm: only the CSRF token."""


class OrderForm(FlaskForm):
    deliverables = SelectMultipleField(
        "Deliverables",
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validators=[DataRequired(message="Choose at least one deliverable.")],
    )


class DraftForm(FlaskForm):
    text = TextAreaField("Draft text or script", validators=[Length(max=MAX_TEXT), _storable_check])
    caption = TextAreaField(
        "Caption",
        validators=[
            DataRequired(message="Write the caption."),
            Length(max=MAX_TEXT),
            _storable_check,
        ],
    )
    file = FileField("File (optional)")


class ChangesForm(FlaskForm):
    note = TextAreaField(
        "What should change",
        validators=[
            DataRequired(message="Say what should change."),
            Length(max=MAX_NOTE),
            _storable_check,
        ],
    )


class PostForm(FlaskForm):
    post_url = StringField(
        "Live post URL",
        validators=[
            DataRequired(message="Paste the link to the post."),
            Length(max=MAX_URL),
            _storable_check,
        ],
        render_kw={"inputmode": "url"},
    )
    caption = TextAreaField(
        "Caption as published",
        validators=[
            DataRequired(message="Paste the caption."),
            Length(max=MAX_TEXT),
            _storable_check,
        ],
    )


class ViolationForm(FlaskForm):
    kind = SelectField(
        "What happened",
        choices=select_choices(
            [
                (ViolationKind.POSTED_BEFORE_APPROVAL.value, "Posted before approval"),
                (ViolationKind.CONTENT_CHANGED.value, "Content differs from the approved draft"),
            ]
        ),
    )
    detail = TextAreaField(
        "Details",
        validators=[
            DataRequired(message="Describe what you saw."),
            Length(max=MAX_NOTE),
            _storable_check,
        ],
    )
