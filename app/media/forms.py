"""Forms for the media pages. Field names equal the services' error keys (``file``, ``title``,
``offer_id``, ``release_document``, ``reason``, ``license_type``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField

from app.forms import select_choices, split_list, text_rules
from app.media.services import MAX_DESCRIPTION, MAX_REASON, MAX_TITLE, MediaInput
from app.offers.models import CATEGORIES


class UploadForm(FlaskForm):
    offer_id = SelectField("Stock media offer (sets the licence prices)", coerce=int)
    file = FileField("Image or video")
    title = StringField(
        "Title",
        validators=text_rules(MAX_TITLE, required="Give the media a title."),
    )
    description = TextAreaField("Description", validators=text_rules(MAX_DESCRIPTION))
    keywords = StringField("Keywords (comma separated)", validators=text_rules(2500))
    category = SelectField(
        "Category", choices=select_choices((c, c) for c in CATEGORIES), default="Photography"
    )
    model_release = BooleanField("A recognizable person appears and I have a model release")
    property_release = BooleanField(
        "Recognizable private property appears and I have a property release"
    )
    release_document = FileField("Signed release document (PDF, JPEG or PNG)")
    generative_ai = BooleanField("Made with generative AI")
    editorial = BooleanField("Editorial use only (news, events; no commercial use)")

    def to_input(self) -> MediaInput:
        return MediaInput(
            offer_id=int(self.offer_id.data or 0),
            title=self.title.data or "",
            description=self.description.data or "",
            keywords=split_list(self.keywords.data),
            category=self.category.data or "",
            model_release=bool(self.model_release.data),
            property_release=bool(self.property_release.data),
            generative_ai=bool(self.generative_ai.data),
            editorial=bool(self.editorial.data),
        )


class RejectForm(FlaskForm):
    reason = TextAreaField(
        "Reason shown to the creator",
        validators=text_rules(MAX_REASON, required="Say why."),
    )


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token (approve, withdraw)."""


class LicenseForm(FlaskForm):
    license_type = SelectField(
        "Licence", choices=select_choices([("standard", "Standard"), ("enhanced", "Enhanced")])
    )


class PictureForm(FlaskForm):
    """One picture: an offer gallery image, a portfolio item or an avatar."""

    file = FileField("Picture (JPEG, PNG or WebP)")
    title = StringField(
        "Title or short description (read aloud to people using a screen reader)",
        validators=text_rules(120),
    )
    description = TextAreaField("About this piece (optional)", validators=text_rules(1000))
    submit = SubmitField("Upload")
