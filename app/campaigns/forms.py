"""Forms for the campaign pages. Field names equal the services' error keys (``text``,
``caption``, ``note``, ``post_url``, ``kind``, ``detail``, ``deliverables``), so domain errors
land next to the right field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired

from app.campaigns.content import MAX_URL
from app.campaigns.models import ViolationKind
from app.campaigns.services import MAX_NOTE, MAX_TEXT
from app.forms import select_choices, text_area, text_rules


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
    text = text_area("Draft text or script", MAX_TEXT)
    caption = text_area("Caption", MAX_TEXT, required="Write the caption.")
    file = FileField("File (optional)")


class PostForm(FlaskForm):
    post_url = StringField(
        "Live post URL",
        validators=text_rules(MAX_URL, required="Paste the link to the post."),
        render_kw={"inputmode": "url"},
    )
    caption = text_area("Caption as published", MAX_TEXT, required="Paste the caption.")


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
    detail = text_area("Details", MAX_NOTE, required="Describe what you saw.")
