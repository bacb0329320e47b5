from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DateField, EmailField, HiddenField, IntegerField, RadioField, SelectChoice,
                     SelectField, SelectMultipleField, StringField, TelField, TextAreaField)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.forms import BaseForm
from ..i18n import language_names
from ..notify.channels import sms_enabled
from .contact import normalise_email, normalise_phone, receives_text_messages

NOTE_MAX = 280
NOTE_WARNING = _l("Do not write health information, passwords or identity numbers here.")
REMINDERS_BY_EMAIL = _l("Reminders are sent by e-mail: this centre does not send text messages.")


def sends_texts():
    """Whether this centre sends text messages (SMS_PROVIDER is not `none`)."""
    return sms_enabled(current_app.config)


def language_choices():
    """The residents' languages (RESIDENT_LANGUAGES), each named in itself and marked as such, so
    that a screen reader says "العربية" in Arabic on a French page."""
    return [SelectChoice(code, name, render_kw={"lang": code})
            for code, name in language_names(current_app.config["RESIDENT_LANGUAGES"]).items()]


class LanguageField(RadioField):
    """A choice of language, each named in itself: the form macro marks each label with its
    language (`lang`), so that a screen reader says "Türkçe" in Turkish on an Arabic page."""

    names_languages = True

    def __init__(self, label, **kwargs):
        super().__init__(label, choices=language_choices, default="fr", **kwargs)


class PhoneField(TelField):
    """A phone number, French by default, stored in E.164 form in `.e164`."""

    e164 = None

    def pre_validate(self, form):
        self.e164 = None
        if self.data and self.data.strip():
            self.e164 = normalise_phone(self.data)
            if self.e164 is None:
                raise ValidationError(_l(
                    "This phone number does not look right. Write it as 06 12 34 56 78, "
                    "or with the country code for a foreign number (+44…)."))


class ContactMixin:
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=80)])
    phone = PhoneField(_l("Mobile phone number"), validators=[Optional(), Length(max=40)])
    email = EmailField(_l("E-mail address"), validators=[Optional(), Length(max=254),
                                                        Email(message=_l("This e-mail address does not look right."))])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        has_email = bool((self.email.data or "").strip())
        if not (self.phone.data or "").strip() and not has_email:
            # On the e-mail field: "Optional" validators stop a field's own checks when it is empty.
            self.email.errors.append(_l("Give a phone number or an e-mail address, so that we can reach you."))
            valid = False
        elif not sends_texts():
            # No text message goes at all: a phone alone is a way to be called and to find the
            # booking again, and a reminder asked for without an e-mail could never be sent.
            if self.reminder_consent.data and not has_email:
                self.reminder_consent.errors.append(_l(
                    "Reminders are sent by e-mail: give an e-mail address, or untick the reminder."))
                valid = False
        elif self.phone.e164 and not has_email and not receives_text_messages(self.phone.e164):
            # Messages go by e-mail when there is one (booking/messages.py), else by SMS: a landline
            # alone would leave the person without their code and reminder. With an e-mail, the
            # number is kept for the centre to call.
            self.phone.errors.append(_l(
                "This is a landline number: our confirmations and reminders are text messages, which "
                "a landline cannot receive. Give a mobile number, or add an e-mail address."))
            valid = False
        return valid

    @property
    def email_normalised(self):
        return normalise_email(self.email.data)

    @property
    def reminder_hint(self):
        """The reminder box's hint: none while texts go, else that reminders go by e-mail only."""
        return None if sends_texts() else REMINDERS_BY_EMAIL


class BookingForm(ContactMixin, BaseForm):
    topic = RadioField(_l("What is it about?"), validators=[InputRequired()])
    note = TextAreaField(_l("In a few words, what do you need help with? (optional)"),
                         validators=[Optional(), Length(max=NOTE_MAX)])
    reminder_consent = BooleanField(_l("Send me a reminder the day before"))
    language = LanguageField(_l("Language of our messages"))
    request_key = HiddenField()


class LookupForm(BaseForm):
    code = StringField(_l("Booking code"), validators=[DataRequired(), Length(max=20)])
    contact = StringField(_l("Phone number or e-mail address used for the booking"),
                          validators=[DataRequired(), Length(max=254)])


WEEKDAYS = [("mon", _l("Monday")), ("tue", _l("Tuesday")), ("wed", _l("Wednesday")),
            ("thu", _l("Thursday")), ("fri", _l("Friday")), ("sat", _l("Saturday"))]
HALF_DAYS = [("am", _l("morning")), ("pm", _l("afternoon"))]


def moment_choices():
    return [SelectChoice(f"{day}-{half}", _l("%(day)s %(half)s", day=day_name, half=half_name))
            for day, day_name in WEEKDAYS for half, half_name in HALF_DAYS]


def moment_words(moments):
    """The half-days a call-back request says suit the person ("mon-am tue-pm"), in words."""
    labels = {choice.value: choice.label for choice in moment_choices()}
    return ", ".join(str(labels.get(code, code)) for code in moments.split())


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


NOTIFY_CHOICES = [SelectChoice("sms", _l("By text message, with a link to book it")),
                  SelectChoice("email", _l("By e-mail, with a link to book it")),
                  SelectChoice("call", _l("A facilitator calls me"))]


def notify_choices():
    """How a person may hear of a seat: not by text message when the centre sends none."""
    texts = sends_texts()
    return [choice for choice in NOTIFY_CHOICES if texts or choice.value != "sms"]


def default_notify_by():
    # Without texts, a call: it needs nothing more than the phone number the form asks for.
    return "sms" if sends_texts() else "call"


class CallbackForm(BaseForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=80)])
    phone = PhoneField(_l("Phone number"), validators=[DataRequired(), Length(max=40)])
    moments = MultiCheckboxField(_l("Which times suit you?"), choices=moment_choices)
    moments_note = TextAreaField(_l("Anything else about when suits you? (optional)"),
                                 validators=[Optional(), Length(max=NOTE_MAX)])
    notify_by = RadioField(_l("How shall we tell you when a seat frees up?"), choices=notify_choices,
                           default=default_notify_by)
    email = EmailField(_l("E-mail address (for an e-mail)"),
                       validators=[Optional(), Length(max=254),
                                   Email(message=_l("This e-mail address does not look right."))])
    language = LanguageField(_l("Language"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        texts = sends_texts()
        if self.notify_by.data == "sms" and not texts:
            # Only a forged form sends it: say why rather than WTForms' "Not a valid choice".
            self.notify_by.errors = [_l("This centre does not send text messages: choose an e-mail or a call.")]
            return False
        # Not a validator of the field: its Optional() ends the field's checks when it is empty.
        if self.notify_by.data == "email" and not (self.email.data or "").strip():
            self.email.errors.append(_l("Give your e-mail address, or choose a text message or a call.") if texts
                                     else _l("Give your e-mail address, or choose a call."))
            return False
        return valid

    def validate_phone(self, field):
        if (self.notify_by.data == "sms" and sends_texts() and self.phone.e164
                and not receives_text_messages(self.phone.e164)):
            raise ValidationError(_l("This number cannot receive text messages. Give a mobile number, "
                                     "or choose a call."))

    @property
    def email_normalised(self):
        return normalise_email(self.email.data) if (self.email.data or "").strip() else None


class BookingRulesForm(BaseForm):
    min_notice_minutes = IntegerField(_l("Minimum notice before a slot, in minutes"),
                                      validators=[InputRequired(), NumberRange(min=0, max=60 * 24 * 14)])
    horizon_weeks = IntegerField(_l("How many weeks ahead residents may book"),
                                 validators=[InputRequired(), NumberRange(min=1, max=52)])
    change_deadline_minutes = IntegerField(
        _l("Until how many minutes before the slot residents may cancel or move (0: until it starts)"),
        validators=[InputRequired(), NumberRange(min=0, max=60 * 24 * 14)])
    max_active_per_contact = IntegerField(
        _l("Maximum upcoming bookings per phone number or e-mail address"),
        validators=[InputRequired(), NumberRange(min=1, max=20)])
    late_grace_minutes = IntegerField(
        _l("Minutes of lateness after which a booked resident joins the walk-in queue"),
        validators=[InputRequired(), NumberRange(min=0, max=120)])
    callback_weeks = IntegerField(
        _l("Weeks after which a call-back request ends"),
        validators=[InputRequired(), NumberRange(min=1, max=52)])


class ClosureForm(BaseForm):
    start_date = DateField(_l("First day"), validators=[InputRequired()])
    end_date = DateField(_l("Last day (included)"), validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=160)])
    location = SelectField(_l("Where"), coerce=int, default=0)

    def validate_end_date(self, field):
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError(_l("The last day cannot be before the first day."))
