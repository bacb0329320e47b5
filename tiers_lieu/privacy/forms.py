from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from ..core.forms import BaseForm
from .models import RETENTION_RANGE
from .rights import contact_of


def months(label, name):
    low, high = RETENTION_RANGE[name]
    return IntegerField(label, validators=[
        InputRequired(_l("Give a number of months.")),
        NumberRange(min=low, max=high, message=_l("Give a number of months between %(min)s and %(max)s."))])


class RetentionForm(BaseForm):
    resident_months = months(_l("Residents' records, in months after their last contact"), "resident_months")
    booking_months = months(_l("Appointments' contact details, in months after the appointment"), "booking_months")
    callback_months = months(_l("Call-back requests, in months after they ended"), "callback_months")
    message_months = months(_l("Messages sent to residents, in months after delivery"), "message_months")
    audit_author_months = months(_l("Who did what in the audit log, in months"), "audit_author_months")
    protection_contact = StringField(_l("Contact for questions about personal data (optional)"),
                                     validators=[Length(max=300)])


class PersonSearchForm(BaseForm):
    """Find what the centre holds about someone who has no record, from the contact they used."""

    contact = StringField(_l("Phone number or e-mail address"), validators=[
        InputRequired(_l("Give the phone number or the e-mail address the person used.")), Length(max=254)])

    def validate_contact(self, field):
        if contact_of(field.data) == (None, None):
            raise ValidationError(_l("This is neither a phone number nor an e-mail address."))


class PersonForm(BaseForm):
    """Who an export or an erasure is about, carried from the page that showed what is held."""

    resident_id = HiddenField()
    contact = HiddenField(validators=[Length(max=254)])
    confirmed = HiddenField()
