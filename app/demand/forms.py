"""The form to express interest; field names equal the service's error keys."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from app.briefs.forms import CATEGORY_CHOICES, CURRENCY_CHOICES, MajorAmountField
from app.demand.services import SKILL_LENGTH, TEXT_LENGTH, InterestInput
from app.forms import select_choices, text_rules


class InterestForm(FlaskForm):
    category = SelectField(
        "Category", choices=select_choices([("", "Any category"), *CATEGORY_CHOICES])
    )
    skill = StringField("Skill", validators=text_rules(SKILL_LENGTH[1]))
    text = TextAreaField("What you would buy (optional)", validators=text_rules(TEXT_LENGTH[1]))
    budget_min_minor = MajorAmountField("Budget from (optional)")
    budget_max_minor = MajorAmountField("Budget up to (optional)")
    currency = SelectField("Currency", choices=select_choices(CURRENCY_CHOICES))

    def interest_input(self) -> InterestInput:
        given = self.budget_min_minor.data is not None or self.budget_max_minor.data is not None
        return InterestInput(
            category=self.category.data or None,
            skill=(self.skill.data or "").strip() or None,
            text=self.text.data or "",
            budget_min_minor=self.budget_min_minor.data,
            budget_max_minor=self.budget_max_minor.data,
            currency=self.currency.data if given else None,
        )
