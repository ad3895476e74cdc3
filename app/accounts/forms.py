from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.accounts.models import Availability
from app.forms import DecimalField, select_choices
from app.money import SUPPORTED_CURRENCIES


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    display_name = StringField("Your name", validators=[DataRequired(), Length(min=2, max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    as_creator = BooleanField("I want to sell (creator)")
    as_business = BooleanField("I want to hire (business)")
    company_name = StringField("Company (optional)", validators=[Optional(), Length(max=120)])


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    remember = BooleanField("Keep me signed in")


class AccountForm(FlaskForm):
    display_name = StringField("Name", validators=[DataRequired(), Length(min=2, max=80)])
    company_name = StringField("Company", validators=[Optional(), Length(max=120)])
    as_creator = BooleanField("Creator: I sell services, media or sponsored posts")
    as_business = BooleanField("Business: I post briefs and hire")


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=256)])


class ProfileForm(FlaskForm):
    headline = StringField("Headline", validators=[Optional(), Length(max=140)])
    bio = TextAreaField("Bio", validators=[Optional(), Length(max=5000)])
    skills = StringField("Skills (comma separated)", validators=[Optional(), Length(max=2000)])
    portfolio_links = TextAreaField(
        "Portfolio links (one per line)", validators=[Optional(), Length(max=3500)]
    )
    country = StringField("Country (2-letter code)", validators=[Optional(), Length(min=2, max=2)])
    languages = StringField("Languages (comma separated)", validators=[Optional(), Length(max=600)])
    hourly_rate = DecimalField(
        "Hourly rate", places=2, validators=[Optional(), NumberRange(min=1, max=100000)]
    )
    currency = SelectField("Currency", choices=select_choices((c, c) for c in SUPPORTED_CURRENCIES))
    availability = SelectField(
        "Availability",
        choices=select_choices((a.value, a.value.capitalize()) for a in Availability),
    )


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=80)])
