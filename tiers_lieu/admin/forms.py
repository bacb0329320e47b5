"""Forms of the set-up pages: topics, procedures, places, lists, the centre, the audit filters."""
import re
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DateField, EmailField, IntegerField, RadioField, SelectField, StringField,
                     TelField, TextAreaField)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from ..booking.contact import normalise_phone
from ..core.forms import BaseForm
from ..desk.models import ReferralKind

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# Topic colours mark cards and borders on a white page: WCAG 1.4.11 asks 3:1 for such marks.
MIN_CONTRAST = 3.0



def relative_luminance(colour):
    """The relative luminance of a #rrggbb colour, as WCAG defines it."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(colour):
    return 1.05 / (relative_luminance(colour) + 0.05)


def pictogram_files():
    """The SVG pictograms the site ships, by file name."""
    folder = Path(current_app.static_folder) / "img" / "topics"
    return sorted(path.name for path in folder.glob("*.svg"))


class TopicForm(BaseForm):
    slug = StringField(_l("Short name in addresses"), validators=[DataRequired(), Length(max=40)])
    name_fr = StringField(_l("Name in French"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])
    description_fr = TextAreaField(_l("Description in French"), validators=[Optional(), Length(max=1000)])
    description_en = TextAreaField(_l("Description in English"), validators=[Optional(), Length(max=1000)])
    pictogram = RadioField(_l("Pictogram"), validators=[InputRequired()])
    colour = StringField(_l("Colour"), validators=[DataRequired(), Length(max=7)])
    default_duration = IntegerField(_l("Default duration, in minutes"),
                                    validators=[InputRequired(), NumberRange(min=5, max=480)])
    what_to_bring_fr = TextAreaField(_l("What to bring, in French (one item per line)"),
                                     validators=[Optional(), Length(max=2000)])
    what_to_bring_en = TextAreaField(_l("What to bring, in English (one item per line)"),
                                     validators=[Optional(), Length(max=2000)])
    position = IntegerField(_l("Position in the list"), validators=[InputRequired(), NumberRange(min=0, max=999)])
    active = BooleanField(_l("Offered to residents"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pictogram.choices = [(name, name.removesuffix(".svg")) for name in pictogram_files()]

    def validate_slug(self, field):
        field.data = (field.data or "").lower()
        if not SLUG.fullmatch(field.data):
            raise ValidationError(_l("Use lower-case letters without accents, digits and hyphens only, "
                                     "for example: demarches-en-ligne."))

    def validate_colour(self, field):
        if not HEX_COLOUR.fullmatch(field.data or ""):
            raise ValidationError(_l("Write the colour as # followed by six hexadecimal digits, "
                                     "for example #1d4e89."))
        field.data = field.data.lower()
        if contrast_with_white(field.data) < MIN_CONTRAST:
            raise ValidationError(_l("This colour is too light to be seen on the white page "
                                     "(contrast %(ratio)s:1, at least 3:1 is needed). Choose a darker one.",
                                     ratio=f"{contrast_with_white(field.data):.1f}"))


class ProcedureForm(BaseForm):
    name = StringField(_l("Name of the procedure"), validators=[DataRequired(), Length(max=120)])


class LocationForm(BaseForm):
    name = StringField(_l("Name of the place"), validators=[DataRequired(), Length(max=120)])
    active = BooleanField(_l("In use"), default=True)


class NeedForm(BaseForm):
    label_fr = StringField(_l("Label in French"), validators=[DataRequired(), Length(max=160)])
    label_en = StringField(_l("Label in English"), validators=[DataRequired(), Length(max=160)])
    active = BooleanField(_l("Offered in the session log"), default=True)


class ReferralTargetForm(NeedForm):
    kind = SelectField(_l("Kind of structure (national report)"), choices=ReferralKind.choices,
                       validators=[InputRequired()])


class CentreForm(BaseForm):
    name = StringField(_l("Name of the centre"), validators=[DataRequired(), Length(max=160)])
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=300)])
    phone = TelField(_l("Phone number"), validators=[DataRequired(), Length(max=40)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254),
                                                        Email(message=_l("This e-mail address does not look right."))])

    def validate_phone(self, field):
        if normalise_phone(field.data or "") is None:
            raise ValidationError(_l("This phone number does not look right. Write it as 04 75 12 34 56."))


class AuditFilterForm(BaseForm):
    """The audit page's filters, read from the query string."""

    class Meta:
        csrf = False

    actor = SelectField(_l("Staff member"), coerce=int, default=0, validators=[Optional()])
    action = SelectField(_l("Action"), default="", validators=[Optional()])
    target_type = SelectField(_l("Kind of record"), default="", validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until (included)"), validators=[Optional()])

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The last day cannot be before the first day."))
