"""Forms of the desk's day: a walk-in's ticket, calling the next one, cancelling for a resident."""
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ...core.forms import BaseForm
from .queue import DESK_LABEL_MAX

CANCEL_REASON_MAX = 160


class WalkInForm(BaseForm):
    """Someone without an appointment: a ticket of the day, their first name if they give it."""

    first_name = StringField(_l("First name (optional)"), validators=[Optional(), Length(max=80)])
    topic = SelectField(_l("What is it about?"), coerce=int, validators=[InputRequired()])

    def __init__(self, topics, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.topic.choices = [(topic.id, topic.name) for topic in topics]


class CallNextForm(BaseForm):
    desk = StringField(_l("Your desk"), validators=[DataRequired(), Length(max=DESK_LABEL_MAX)])


class CancelForm(BaseForm):
    # The statistics tell the residents' cancellations from the centre's.
    asked_by = RadioField(_l("Who asks to cancel?"), default="resident", validators=[InputRequired()],
                          choices=[SelectChoice("resident", _l("The resident (they phoned or came by)")),
                                   SelectChoice("centre", _l("The centre (facilitator absent, room closed…)"))])
    reason = TextAreaField(_l("Reason, told to the resident"),
                           validators=[DataRequired(), Length(max=CANCEL_REASON_MAX)])


class KioskCodeForm(BaseForm):
    code = StringField(_l("Your booking code"), validators=[DataRequired(), Length(max=20)])


class KioskTicketForm(BaseForm):
    """A topic button at the kiosk; the first name is optional."""

    first_name = StringField(_l("Your first name (optional)"), validators=[Optional(), Length(max=80)])
