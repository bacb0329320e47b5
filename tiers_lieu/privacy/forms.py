from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from ..core.forms import BaseForm
from .models import RETENTION_RANGE


def months(label, name):
    low, high = RETENTION_RANGE[name]
    return IntegerField(label, validators=[
        InputRequired(_l("Give a number of months.")),
        NumberRange(min=low, max=high, message=_l("Give a number of months between %(min)s and %(max)s."))])


class RetentionForm(BaseForm):
    resident_months = months(_l("Residents' records, in months after their last contact"), "resident_months")
    booking_months = months(_l("Appointments' contact details, in months after the appointment"), "booking_months")
    callback_months = months(_l("Call-back requests, in months after they were handled"), "callback_months")
    message_months = months(_l("Messages sent to residents, in months after delivery"), "message_months")
    audit_author_months = months(_l("Who did what in the audit log, in months"), "audit_author_months")
    protection_contact = StringField(_l("Contact for questions about personal data (optional)"),
                                     validators=[Length(max=300)])
