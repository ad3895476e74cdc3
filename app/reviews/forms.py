"""The review form; field names equal the service's error keys."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms import select_choices, storable_text, text_rules
from app.reviews.services import PRIVATE_LENGTH, TEXT_LENGTH, ReviewInput


class ReviewForm(FlaskForm):
    rating = RadioField(
        "Rating",
        choices=select_choices((str(n), "★" * n) for n in range(5, 0, -1)),
        validators=[DataRequired(message="Give 1 to 5 stars.")],
    )
    text = TextAreaField(
        "Your public review",
        validators=[DataRequired(), Length(*TEXT_LENGTH), storable_text],
    )
    would_work_again = RadioField(
        "Would you work with them again? (private)",
        choices=select_choices((("yes", "Yes"), ("no", "No"))),
        default="yes",
        validators=[DataRequired()],
    )
    private_feedback = TextAreaField(
        "Private feedback to the platform (never shown to them)",
        validators=text_rules(PRIVATE_LENGTH),
    )

    def to_input(self) -> ReviewInput:
        return ReviewInput(
            rating=int(self.rating.data or 0),
            text=self.text.data or "",
            private_feedback=self.private_feedback.data or "",
            would_work_again=self.would_work_again.data == "yes",
        )
