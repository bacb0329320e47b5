"""Forms of the residents' pages and of booking for someone at the desk."""
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, EmailField, HiddenField, IntegerField, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from ...booking.contact import display_phone
from ...booking.forms import NOTE_MAX, ContactMixin, LanguageField, PhoneField
from ...core.forms import BaseForm
from ..models import AgeBracket
from ..sessions.forms import CommuneMixin


def age_choices():
    return [("", _l("Not given"))] + [(code, label) for code, label in AgeBracket.choices()
                                      if code != AgeBracket.UNKNOWN.value]


class ResidentForm(CommuneMixin, BaseForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=80)])
    last_name = StringField(_l("Last name (optional)"), validators=[Optional(), Length(max=80)])
    phone = PhoneField(_l("Mobile phone number (optional)"), validators=[Optional(), Length(max=40)])
    email = EmailField(_l("E-mail address (optional)"), validators=[
        Optional(), Length(max=254), Email(message=_l("This e-mail address does not look right."))])
    neighbourhood = StringField(_l("Neighbourhood (optional)"), validators=[Optional(), Length(max=120)])
    language = LanguageField(_l("Preferred language"))
    birth_year = IntegerField(_l("Year of birth (optional)"), validators=[Optional()])
    age_bracket = SelectField(_l("Or age bracket (optional)"), choices=age_choices, default="")

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        return self.check_other_postal_code() and valid

    def validate_birth_year(self, field):
        if field.data is not None and not date.today().year - 110 <= field.data <= date.today().year:
            raise ValidationError(_l("Give a year such as 1956."))

    def values(self):
        """The cleaned values, as the service stores them."""
        birth_year = self.birth_year.data
        bracket = self.age_bracket.data or None
        if birth_year is not None:
            bracket = AgeBracket.of_birth_year(birth_year, date.today()).value
        return {
            "first_name": self.first_name.data, "last_name": self.last_name.data or None,
            "phone": self.phone.e164, "email": (self.email.data or "").strip().lower() or None,
            "neighbourhood": self.neighbourhood.data or None, "language": self.language.data,
            "birth_year": birth_year, "age_bracket": bracket, **self.commune_values(),
        }

    def fill(self, resident):
        for name in ("first_name", "last_name", "email", "neighbourhood", "language", "birth_year"):
            getattr(self, name).data = getattr(resident, name)
        self.phone.data = display_phone(resident.phone)
        self.age_bracket.data = resident.age_bracket if not resident.birth_year else ""
        self.fill_commune(resident.commune_id, resident.other_postal_code)


class SearchForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or phone number"), validators=[Optional(), Length(max=120)])


class BookForForm(ContactMixin, BaseForm):
    """The contact of someone booked at the desk or on the phone, and the chosen slot."""

    slot = RadioField(_l("Free times"), coerce=int, validators=[InputRequired(message=_l("Choose a time."))])
    note = TextAreaField(_l("What is it about? (optional)"), validators=[Optional(), Length(max=NOTE_MAX)])
    reminder_consent = BooleanField(_l("Send a reminder the day before"), default=True)
    language = LanguageField(_l("Language of the messages"))
    request_key = HiddenField()

