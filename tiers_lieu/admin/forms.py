"""Forms of the set-up pages: topics, procedures, places, lists, the centre, the audit filters."""
import math
import re
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DateField, EmailField, IntegerField, RadioField, SelectChoice, SelectField,
                     StringField, TelField, TextAreaField)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from ..booking.contact import normalise_phone
from ..booking.forms import MultiCheckboxField
from ..core import communes, identity
from ..core.forms import BaseForm
from ..desk.models import NationalTheme, ReferralKind, sorted_themes

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


def vocabulary_choices(name):
    """The choices of one of the national standards' closed lists (opendata/vocabulary.py)."""
    from ..opendata import vocabulary

    return [SelectChoice(value, label) for value, label in vocabulary.choices(name)]


def online_booking():
    from ..opendata import vocabulary

    return vocabulary.ONLINE_BOOKING


def thematique_category_label(category):
    from ..opendata import vocabulary

    return vocabulary.category_label(category)


@dataclass
class ThematiqueGroup:
    label: object
    options: list
    ticked: int = 0

    @property
    def open(self):
        return self.ticked > 0


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
    # What the topic is in the national open-data files (issue 16).
    mednum_services = MultiCheckboxField(_l("Services (national cartography)"))
    di_thematiques = MultiCheckboxField(_l("Themes (data·inclusion)"))
    # Pre-ticked in the session log when the topic is ticked (issue 16).
    national_themes = MultiCheckboxField(_l("National themes (activity report)"), choices=NationalTheme.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pictogram.choices = [(name, name.removesuffix(".svg")) for name in pictogram_files()]
        self.mednum_services.choices = vocabulary_choices("services")
        self.di_thematiques.choices = vocabulary_choices("thematiques")

    def thematique_groups(self):
        """The data·inclusion themes by category (the part of the code before "--"), for the form
        to fold each category apart: some sixty themes in a row would be a wall of checkboxes."""
        ticked = set(self.di_thematiques.data or ())
        groups = {}
        for option in self.di_thematiques:
            category = option.data.partition("--")[0]
            group = groups.setdefault(category, ThematiqueGroup(thematique_category_label(category), []))
            group.options.append(option)
            group.ticked += option.data in ticked
        return list(groups.values())

    def validate_national_themes(self, field):
        field.data = sorted_themes(field.data or [])

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


class CommuneForm(BaseForm):
    """A commune the centre serves (issue 16): checked against the official list (core/communes.py),
    which gives its INSEE code from its name and postal code."""

    name = StringField(_l("Name of the commune"), validators=[DataRequired(), Length(max=120)])
    postal_code = StringField(_l("Postal code"), validators=[DataRequired(), Length(max=5)],
                              render_kw={"inputmode": "numeric", "maxlength": 5, "autocomplete": "off"})
    # Left empty, it is filled in from the official list (match_official).
    insee_code = StringField(_l("INSEE code (optional)"), validators=[Optional(), Length(max=5)],
                             render_kw={"maxlength": 5, "autocomplete": "off"})
    active = BooleanField(_l("Offered in the session log"), default=True)

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        problem = self.match_official()
        if problem is not None:
            field, message = problem
            field.errors.append(message)
            return False
        return True

    def match_official(self):
        """Check the three against the official list and fill in the INSEE code and the official
        spelling of the name; return (field, message) when they do not agree."""
        name, postal_code, insee_code = self.name.data, self.postal_code.data, (self.insee_code.data or "").upper()
        if not communes.POSTAL_CODE.fullmatch(postal_code):
            return self.postal_code, _l("A postal code has 5 digits, for example 26000.")
        if not communes.is_postal_code(postal_code):
            return self.postal_code, _l("No commune has the postal code %(code)s.", code=postal_code)
        if insee_code:
            official = communes.official_commune(insee_code)
            if official is None:
                return self.insee_code, _l("No commune has the INSEE code %(code)s.", code=insee_code)
            if postal_code not in official.postal_codes:
                return self.postal_code, _l("%(name)s (INSEE %(code)s) does not have the postal code %(postal)s: "
                                            "its postal codes are %(codes)s.", name=official.name, code=insee_code,
                                            postal=postal_code, codes=", ".join(official.postal_codes))
            if communes.name_key(name) != communes.name_key(official.name):
                return self.name, _l("The INSEE code %(code)s is the commune of %(name)s.", code=insee_code,
                                     name=official.name)
        else:
            found = communes.find_communes(name, postal_code)
            if not found:
                others = ", ".join(commune.name for commune in communes.communes_of_postal_code(postal_code))
                return self.name, _l("No commune of that name has the postal code %(code)s (it serves: %(names)s).",
                                     code=postal_code, names=others)
            if len(found) > 1:
                return self.insee_code, _l("Several communes have this name and postal code: give the INSEE code.")
            official = found[0]
        self.name.data, self.insee_code.data = official.name, official.insee_code
        return None


class CentreForm(BaseForm):
    """The centre's details and public identity (issue 16): what the footer, the messages and the
    national open-data files say of it. Checks are core/identity.py's, shared with the files."""

    name = StringField(_l("Name of the centre"), validators=[DataRequired(), Length(max=160)])
    siret_or_rna = StringField(_l("SIRET or RNA number"), validators=[Optional(), Length(max=40)])
    typology = MultiCheckboxField(_l("Kind of structure"))
    address = StringField(_l("Number and street"), validators=[DataRequired(), Length(max=300)])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), Length(max=10)])
    commune = StringField(_l("Commune"), validators=[Optional(), Length(max=120)])
    insee_code = StringField(_l("INSEE code of the commune"), validators=[Optional(), Length(max=10)])
    # Typed as text: a decimal comma (44,9333) is as good as a point.
    latitude = StringField(_l("Latitude"))
    longitude = StringField(_l("Longitude"))
    phone = TelField(_l("Phone number"), validators=[DataRequired(), Length(max=40)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254),
                                                        Email(message=_l("This e-mail address does not look right."))])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=300)])
    acceslibre_url = StringField(_l("Accessibility record on acceslibre"), validators=[Optional(), Length(max=300)])
    national_programmes = MultiCheckboxField(_l("National programmes the centre belongs to"))
    fees = MultiCheckboxField(_l("Fees"))
    publics = MultiCheckboxField(_l("Publics specifically welcomed"))
    specific_support = MultiCheckboxField(_l("Specific support offered"))
    access_modes = MultiCheckboxField(_l("How people reach the centre"))
    support_modes = MultiCheckboxField(_l("How people are helped"))
    summary = TextAreaField(_l("Short presentation, in French"), validators=[Optional()])
    presentation = TextAreaField(_l("Long presentation, in French"), validators=[Optional(), Length(max=5000)])

    # Each checkbox list and the closed list of the standard it is chosen from.
    VOCABULARIES = {"typology": "typologie", "national_programmes": "dispositif_programmes_nationaux",
                    "fees": "frais_a_charge", "publics": "publics_specifiquement_adresses",
                    "specific_support": "prise_en_charge_specifique", "access_modes": "modalites_acces",
                    "support_modes": "modalites_accompagnement"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, vocabulary in self.VOCABULARIES.items():
            getattr(self, name).choices = vocabulary_choices(vocabulary)
        # Online booking is the app itself: the published files always say so, nobody ticks it.
        self.access_modes.choices = [choice for choice in self.access_modes.choices
                                     if choice.value != online_booking()]

    def validate_phone(self, field):
        if normalise_phone(field.data or "") is None:
            raise ValidationError(_l("This phone number does not look right. Write it as 04 75 12 34 56."))

    def validate_siret_or_rna(self, field):
        field.data = identity.compact(field.data)
        if field.data and not identity.siret_or_rna_is_valid(field.data):
            raise ValidationError(identity.SIRET_MESSAGE)

    def validate_latitude(self, field):
        self.check_coordinate(field, -90, 90)

    def validate_longitude(self, field):
        self.check_coordinate(field, -180, 180)

    @staticmethod
    def check_coordinate(field, low, high):
        """Turn the typed text into degrees, or None when empty."""
        text = (field.data or "").strip().replace(",", ".") if isinstance(field.data, str) else field.data
        if text in ("", None):
            field.data = None
            return
        try:
            value = float(text)
        except (TypeError, ValueError):
            value = None
        if value is None or not math.isfinite(value) or not low <= value <= high:
            raise ValidationError(_l("Write the number of degrees with a decimal point, for example 44.9334."))
        field.data = round(value, 7)

    def validate_website(self, field):
        field.data = (field.data or "").strip()
        if field.data and not identity.is_https_url(field.data):
            raise ValidationError(identity.HTTPS_MESSAGE)

    def validate_acceslibre_url(self, field):
        field.data = (field.data or "").strip()
        if field.data and not identity.acceslibre_url_is_valid(field.data):
            raise ValidationError(identity.ACCESLIBRE_MESSAGE)

    def validate_name(self, field):
        self.refuse_formula(field)

    def validate_address(self, field):
        self.refuse_formula(field)

    def validate_commune(self, field):
        self.refuse_formula(field)

    def validate_presentation(self, field):
        self.refuse_formula(field)

    @staticmethod
    def refuse_formula(field):
        if identity.looks_like_formula(field.data):
            raise ValidationError(identity.FORMULA_MESSAGE)

    def validate_summary(self, field):
        self.refuse_formula(field)
        # Line breaks count as characters in the published file: the limit is on what is stored.
        field.data = (field.data or "").strip().replace("\r\n", "\n")
        if len(field.data) > identity.SUMMARY_MAX:
            raise ValidationError(_l("%(count)s characters: the short presentation must be at most 280 "
                                     "characters long.", count=len(field.data)))

    def validate(self, extra_validators=None):
        """Check the fields together: the commune against the official list, the coordinates as a
        pair in France."""
        valid = super().validate(extra_validators)
        if not (self.postal_code.errors or self.commune.errors or self.insee_code.errors):
            check = identity.check_commune(self.postal_code.data, self.commune.data, self.insee_code.data)
            if not check.ok:
                getattr(self, check.field).errors.append(check.problem.message)
                valid = False
            elif check.commune is not None:
                # The official spelling and code: what the national files must carry.
                self.commune.data = check.commune.name
                self.insee_code.data = check.commune.insee_code
        if not (self.latitude.errors or self.longitude.errors):
            latitude, longitude = self.latitude.data, self.longitude.data
            if (latitude is None) != (longitude is None):
                (self.longitude if longitude is None else self.latitude).errors.append(
                    identity.COORDINATES_PAIR_MESSAGE)
                valid = False
            elif latitude is not None and not identity.in_france(latitude, longitude):
                self.latitude.errors.append(identity.COORDINATES_MESSAGE)
                valid = False
        return valid


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
