"""Forms for reporting content and for moderator actions (a reason is always required)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from app.db import MAX_ID
from app.forms import IntegerField, select_choices, storable_text, text_rules
from app.moderation.models import ReportReason
from app.moderation.services import DETAILS_LENGTH, REASON_LENGTH


class ReportForm(FlaskForm):
    subject_type = HiddenField(validators=[DataRequired()])
    subject_id = IntegerField(validators=[InputRequired(), NumberRange(1, MAX_ID)])
    reason = SelectField(
        "What is wrong?",
        choices=select_choices((r.value, r.value.capitalize()) for r in ReportReason),
        validators=[DataRequired()],
    )
    details = TextAreaField("Details (optional)", validators=text_rules(DETAILS_LENGTH))


class ReasonForm(FlaskForm):
    """Hide, restore, suspend, reinstate or dismiss: the moderator says why."""

    reason = TextAreaField(
        "Reason (recorded in the audit log)",
        validators=[DataRequired(), Length(*REASON_LENGTH), storable_text],
    )


class SubjectActionForm(ReasonForm):
    subject_type = HiddenField(validators=[DataRequired()])
    subject_id = IntegerField(validators=[InputRequired(), NumberRange(1, MAX_ID)])
    report_id = HiddenField()
