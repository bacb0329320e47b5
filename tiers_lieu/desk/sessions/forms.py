"""The help-session form: every field of DESIGN.md §2, in the order a facilitator fills them."""
from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField,
                     TimeField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ...booking.forms import NOTE_MAX, NOTE_WARNING, MultiCheckboxField
from ...core.communes import POSTAL_CODE, is_postal_code
from ...core.forms import BaseForm
from ..models import (SESSION_DURATIONS, AdminDomain, AgeBracket, Assistance, Autonomy, Channel, Equipment, Gender,
                     NationalTheme, Outcome, SessionKind, Situation, WorkshopLevel, sorted_themes)
from .log import MAX_DURATION, SessionData

OTHER_DURATION = "other"
OTHER_COMMUNE = "other"  # the commune list's last choice: another commune, known by its postal code


def duration_choices():
    return [(str(minutes), _l("%(num)d min", num=minutes)) for minutes in SESSION_DURATIONS] + [
        (OTHER_DURATION, _l("Other duration"))]


def optional_choices(choice, none_label):
    """A closed list with a first entry meaning 'not said'."""
    return lambda: [("", none_label)] + choice.choices()


def first_visit_choices():
    return [("first", _l("First visit")), ("returning", _l("Has come before")), ("", _l("Don't know"))]


def own_choices():
    return [("no", _l("The centre's")), ("yes", _l("The person's own"))]


class OptionalRadioField(RadioField):
    """Radio buttons none of which needs to be chosen."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type = "RadioField"  # drawn by the form macros like any group of radio buttons

    def pre_validate(self, form):
        if self.data in (None, "", "None"):
            self.data = None
            return
        super().pre_validate(form)


class CommuneMixin:
    """Where the person lives: a commune of the centre's list, or another one by its postal code
    (the session form, the resident's form). `set_communes` gives the list before validating."""

    # Checked in validate_commune: a forged or inactive commune gets a message of its own.
    commune = SelectField(_l("Commune where the person lives"), default="", validate_choice=False)
    other_postal_code = StringField(_l("Postal code of the other commune"),
                                    validators=[Optional(), Length(max=5)],
                                    render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 5,
                                               "size": 6})

    def set_communes(self, communes):
        self.commune.choices = ([("", _l("Not given"))] + [(str(commune.id), commune.label) for commune in communes]
                                + [(OTHER_COMMUNE, _l("Another commune"))])

    def validate_commune(self, field):
        if field.data not in {value for value, _ in field.choices or ()}:
            raise ValidationError(_l("Choose a commune from the list, or “Another commune” and its postal code."))

    def validate_other_postal_code(self, field):
        if self.commune.data != OTHER_COMMUNE or not field.data:
            return
        if not POSTAL_CODE.fullmatch(field.data):
            raise ValidationError(_l("A postal code has 5 digits, for example 26000."))
        if not is_postal_code(field.data):
            raise ValidationError(_l("No commune has the postal code %(code)s.", code=field.data))

    def check_other_postal_code(self):
        """False, with the message on the field, when "another commune" comes without a postal code."""
        if self.commune.data == OTHER_COMMUNE and not self.other_postal_code.data \
                and not self.other_postal_code.errors:
            self.other_postal_code.errors = [*self.other_postal_code.errors,
                                             _l("Give the postal code of the other commune.")]
            return False
        return True

    def commune_values(self):
        """{"commune_id", "other_postal_code"} as the models store them."""
        commune = self.commune.data or ""
        return {"commune_id": int(commune) if commune.isdigit() else None,
                "other_postal_code": (self.other_postal_code.data or None) if commune == OTHER_COMMUNE else None}

    def fill_commune(self, commune_id, other_postal_code):
        if commune_id:
            self.commune.data = str(commune_id)
        elif other_postal_code:
            self.commune.data, self.other_postal_code.data = OTHER_COMMUNE, other_postal_code


class SessionForm(CommuneMixin, BaseForm):
    kind = RadioField(_l("Type of help"), choices=SessionKind.choices, default=SessionKind.INDIVIDUAL.value,
                      validators=[InputRequired()])
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Give the date of the session."))])
    start_time = TimeField(_l("Start time"), validators=[Optional()])
    duration = RadioField(_l("Duration"), choices=duration_choices, default="30", validators=[InputRequired()])
    duration_other = IntegerField(_l("Other duration, in minutes"), validators=[Optional()])
    channel = RadioField(_l("Where"), choices=Channel.choices, default=Channel.ON_SITE.value,
                         validators=[InputRequired()])
    equipment = RadioField(_l("Equipment used"), choices=Equipment.choices, default=Equipment.COMPUTER.value,
                           validators=[InputRequired()])
    equipment_own = RadioField(_l("Whose equipment"), choices=own_choices, default="no")
    topics = MultiCheckboxField(_l("Topics"), coerce=int)
    # Checked in validate_themes (a forged code gets a message of its own).
    themes = MultiCheckboxField(_l("National themes (activity report)"), choices=NationalTheme.choices,
                                validate_choice=False)
    admin_domain = SelectField(_l("Domain of the administrative procedure"),
                               # The list shows when an administrative topic is ticked (session-form.js):
                               # its empty choice asks, rather than saying "not an administrative procedure".
                               choices=optional_choices(AdminDomain, _l("Choose the domain")),
                               default="")
    procedure_name = StringField(_l("Which procedure (optional)"), validators=[Optional(), Length(max=120)])
    assistance = RadioField(_l("Done with or for the person"), choices=Assistance.choices,
                            default=Assistance.WITH_PERSON.value)
    aidants_connect = BooleanField(_l("An Aidants Connect mandate covers it"))
    autonomy = OptionalRadioField(_l("Autonomy of the person"), choices=Autonomy.choices)
    outcome = RadioField(_l("Outcome"), choices=Outcome.choices, default=Outcome.RESOLVED.value,
                         validators=[InputRequired()])
    referral_target = SelectField(_l("Referred to"), coerce=int, default=0)
    needs = MultiCheckboxField(_l("Needs noticed"), coerce=int)
    participant_count = IntegerField(_l("Number of participants"), default=1,
                                     validators=[InputRequired(), NumberRange(min=1, max=200)])
    participants = MultiCheckboxField(_l("Named participants (from the bookings)"), coerce=int)
    workshop_title = StringField(_l("Title of the workshop"), validators=[Optional(), Length(max=120)])
    workshop_level = OptionalRadioField(_l("Level of the workshop (optional)"), choices=WorkshopLevel.choices)
    # "Not given" for a new session (log.prefill); a session logged before gender was asked keeps
    # "not recorded" (None) until someone chooses.
    gender = OptionalRadioField(_l("Gender"), choices=Gender.choices)
    age_bracket = SelectField(_l("Age bracket"), choices=AgeBracket.choices, default=AgeBracket.UNKNOWN.value)
    situation = SelectField(_l("Situation"), choices=Situation.choices, default=Situation.UNKNOWN.value)
    neighbourhood = StringField(_l("Neighbourhood (optional)"), validators=[Optional(), Length(max=120)])
    first_visit = RadioField(_l("First visit?"), choices=first_visit_choices, default="")
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=NOTE_MAX)],
                         render_kw={"maxlength": NOTE_MAX, "rows": 3})

    note_warning = NOTE_WARNING

    def set_lists(self, topics, needs, referral_targets, participants=(), communes=()):
        self.topics.choices = [(topic.id, topic.name) for topic in topics]
        # Each topic's default national themes, for session-form.js and for a form sent without one.
        self.topic_themes = {topic.id: list(topic.themes) for topic in topics}
        self.set_communes(communes)
        self.needs.choices = [(need.id, need.label) for need in needs]
        self.referral_target.choices = [(0, _l("Nobody"))] + [(target.id, target.label) for target in referral_targets]
        self.participants.choices = [(booking.id, booking.first_name) for booking in participants]

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.duration.data == OTHER_DURATION and self.duration_other.data is None and not self.duration_other.errors:
            # On the minutes field itself: its "Optional" validator stops its own checks when empty.
            self.duration_other.errors = [*self.duration_other.errors, _l("Give the duration in minutes.")]
            valid = False
        if self.kind.data == SessionKind.WORKSHOP.value and not self.workshop_title.data \
                and not self.workshop_title.errors:
            self.workshop_title.errors = [*self.workshop_title.errors, _l("Give the title of the workshop.")]
            valid = False
        valid = self.check_other_postal_code() and valid
        if not self.themes.data and not self.themes.errors:
            # Refused rather than filled in silently: the themes stay the facilitator's choice. The
            # form comes back with the ticked topics' own themes ticked, to confirm or change.
            self.themes.errors = [*self.themes.errors, _l("Tick at least one national theme: those of the "
                                                          "ticked topics are now ticked, check them.")]
            self.themes.data = self.default_themes()
            valid = False
        return valid

    def default_themes(self):
        """The national themes of the ticked topics, in the report's order."""
        topic_themes = getattr(self, "topic_themes", {})
        return sorted_themes(theme for topic_id in (self.topics.data or []) for theme in topic_themes.get(topic_id, ()))

    def validate_themes(self, field):
        if not field.data:
            return  # said in validate, with the topics' themes ticked
        known = {theme.value for theme in NationalTheme}
        if any(code not in known for code in field.data or []):
            raise ValidationError(_l("Choose the themes from the list."))
        field.data = sorted_themes(field.data or [])
        if self.admin_domain.data and NationalTheme.ADMIN_PROCEDURES.value not in field.data:
            raise ValidationError(_l("A domain of administrative procedure is chosen: tick the theme "
                                     "“%(theme)s” too, or take the domain away.",
                                     theme=NationalTheme.ADMIN_PROCEDURES.label))

    def validate_workshop_level(self, field):
        if field.data and self.kind.data != SessionKind.WORKSHOP.value:
            field.data = None  # a level only means something for a workshop

    def validate_duration_other(self, field):
        if field.data is not None and not 1 <= field.data <= MAX_DURATION:
            raise ValidationError(_l("A session lasts between 1 and %(max)d minutes.", max=MAX_DURATION))

    def validate_participant_count(self, field):
        named = len(self.participants.data or [])
        if self.kind.data == SessionKind.WORKSHOP.value and field.data is not None and field.data < named:
            raise ValidationError(_l("There are at least as many participants as named ones (%(num)d).", num=named))

    def validate_referral_target(self, field):
        if self.outcome.data == Outcome.REFERRED.value and not field.data:
            raise ValidationError(_l("Say where the person was referred."))

    @property
    def minutes(self):
        if self.duration.data == OTHER_DURATION:
            return self.duration_other.data
        return int(self.duration.data)

    def fill(self, values):
        """Set the fields from prefilled or stored values (a GET)."""
        duration = values.get("duration") or values.get("duration_minutes") or 30
        if str(duration) in {str(m) for m in SESSION_DURATIONS}:
            self.duration.data = str(duration)
        else:
            self.duration.data, self.duration_other.data = OTHER_DURATION, duration
        self.topics.data = list(values.get("topics", []))
        self.themes.data = list(values.get("themes", []))
        self.fill_commune(values.get("commune_id"), values.get("other_postal_code"))
        if "gender" in values:
            self.gender.data = values["gender"]
        self.needs.data = list(values.get("needs", []))
        self.participants.data = list(values.get("participants", []))
        for name in ("kind", "day", "start_time", "channel", "equipment", "admin_domain", "procedure_name",
                     "assistance", "autonomy", "outcome", "participant_count", "age_bracket", "situation",
                     "neighbourhood", "first_visit", "note", "workshop_title", "workshop_level"):
            if values.get(name) is not None:
                getattr(self, name).data = values[name]
        if "equipment_own" in values and values["equipment_own"] is not None:
            self.equipment_own.data = "yes" if values["equipment_own"] else "no"
        if values.get("aidants_connect") is not None:
            self.aidants_connect.data = values["aidants_connect"]
        if values.get("referral_target_id"):
            self.referral_target.data = values["referral_target_id"]

    def data_for_service(self, location_id=None):
        """The checked values, as the service takes them."""
        first_visit = {"first": True, "returning": False}.get(self.first_visit.data)
        workshop = self.kind.data == SessionKind.WORKSHOP.value
        return SessionData(
            kind=self.kind.data, day=self.day.data, start_time=self.start_time.data,
            duration_minutes=self.minutes, channel=self.channel.data, equipment=self.equipment.data or None,
            equipment_own=(self.equipment_own.data == "yes") if self.equipment.data != Equipment.NONE.value else None,
            topic_ids=list(self.topics.data or []), admin_domain=self.admin_domain.data or None,
            procedure_name=(self.procedure_name.data or "").strip() or None,
            assistance=self.assistance.data or None, aidants_connect=bool(self.aidants_connect.data),
            autonomy=self.autonomy.data or None, outcome=self.outcome.data or None,
            referral_target_id=self.referral_target.data or None,
            need_ids=list(self.needs.data or []), age_bracket=self.age_bracket.data or None,
            situation=self.situation.data or None, neighbourhood=(self.neighbourhood.data or "").strip() or None,
            first_visit=first_visit,
            participant_count=self.participant_count.data if self.kind.data == SessionKind.WORKSHOP.value else 1,
            participant_booking_ids=list(self.participants.data or []) if self.kind.data == SessionKind.WORKSHOP.value else [],
            note=(self.note.data or "").strip() or None, location_id=location_id,
            themes=sorted_themes(self.themes.data or []),
            workshop_title=(self.workshop_title.data or None) if workshop else None,
            workshop_level=(self.workshop_level.data or None) if workshop else None,
            gender=self.gender.data or None,
            **self.commune_values(),
        )
