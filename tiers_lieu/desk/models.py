"""Residents, walk-in tickets and help sessions (DESIGN.md §2, "What a help session records").

The lists follow the national activity report of French digital mediators, so that the centre's
figures compare with others': their values are stored as short English codes, their labels are
translated. Needs and referral targets are tables, because the coordinator extends them.
"""
import enum
import unicodedata
from datetime import date, datetime, time
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..booking.models import DEFAULT_LANGUAGE, Booking, Location, Topic, current_language
from ..database import UTCDateTime, utcnow
from ..extensions import db


class Choice(str, enum.Enum):
    """A closed list stored as its code, shown with its translated label."""

    @property
    def label(self):
        return self.labels()[self]

    @classmethod
    def labels(cls):
        raise NotImplementedError

    @classmethod
    def choices(cls):
        """[(code, label)] in the order of the list, for WTForms."""
        return [(member.value, member.label) for member in cls]

    @classmethod
    def label_of(cls, code):
        """The label of a stored code, or the code itself if the list no longer has it."""
        try:
            return cls(code).label
        except ValueError:
            return code


class SessionKind(Choice):
    INDIVIDUAL = "individual"
    WORKSHOP = "workshop"
    QUICK = "quick"

    @classmethod
    def labels(cls):
        return {cls.INDIVIDUAL: _l("Individual help"), cls.WORKSHOP: _l("Group workshop"),
                cls.QUICK: _l("Quick help")}


class Channel(Choice):
    ON_SITE = "on_site"
    REMOTE = "remote"
    HOME = "home"
    OTHER_PLACE = "other_place"

    @classmethod
    def labels(cls):
        return {cls.ON_SITE: _l("On site"), cls.REMOTE: _l("Remote (phone, video call)"),
                cls.HOME: _l("At the person's home"), cls.OTHER_PLACE: _l("Another place")}


class Equipment(Choice):
    COMPUTER = "computer"
    PHONE = "phone"
    TABLET = "tablet"
    OTHER = "other"
    NONE = "none"

    @classmethod
    def labels(cls):
        return {cls.COMPUTER: _l("Computer"), cls.PHONE: _l("Smartphone"), cls.TABLET: _l("Tablet"),
                cls.OTHER: _l("Other equipment"), cls.NONE: _l("No equipment")}


class AdminDomain(Choice):
    """Domains of administrative procedures, as in the national report."""

    PAPERS = "papers"
    FAMILY = "family"
    SOCIAL_HEALTH = "social_health"
    WORK = "work"
    HOUSING = "housing"
    TRANSPORT = "transport"
    MONEY = "money"
    JUSTICE = "justice"
    FOREIGNERS = "foreigners"
    LEISURE = "leisure"
    ASSOCIATIONS = "associations"

    @classmethod
    def labels(cls):
        return {
            cls.PAPERS: _l("Papers – Elections – Citizenship"),
            cls.FAMILY: _l("Family – Schooling"),
            cls.SOCIAL_HEALTH: _l("Social – Health"),
            cls.WORK: _l("Work – Training"),
            cls.HOUSING: _l("Housing"),
            cls.TRANSPORT: _l("Transport – Mobility"),
            cls.MONEY: _l("Money – Taxes – Consumer"),
            cls.JUSTICE: _l("Justice"),
            cls.FOREIGNERS: _l("Foreign nationals – Europe"),
            cls.LEISURE: _l("Leisure – Sports – Culture"),
            cls.ASSOCIATIONS: _l("Associations"),
        }


class NationalTheme(Choice):
    """The 19 themes of the national activity report, in its order. A session has one or more; a
    topic pre-ticks its own (Topic.national_themes). The last one opens the administrative domains."""

    DIAGNOSIS = "digital_diagnosis"
    DEVICE_HANDLING = "device_handling"
    DEVICE_MAINTENANCE = "device_maintenance"
    DIGITAL_CONTENT = "digital_content"
    BROWSING = "web_browsing"
    EMAIL = "email"
    OFFICE = "office_software"
    SOCIAL_MEDIA = "social_media"
    HEALTH = "health"
    BANKING_SHOPPING = "banking_shopping"
    ENTREPRENEURSHIP = "entrepreneurship"
    JOB_SEEKING = "job_seeking"
    SECURITY = "digital_security"
    PARENTING = "parenting"
    SCHOOLING = "schooling"
    CREATION = "digital_creation"
    CULTURE = "digital_culture"
    AI = "artificial_intelligence"
    ADMIN_PROCEDURES = "admin_procedures"

    @classmethod
    def labels(cls):
        return {
            cls.DIAGNOSIS: _l("Digital skills assessment"),
            cls.DEVICE_HANDLING: _l("Getting started with a device"),
            cls.DEVICE_MAINTENANCE: _l("Device maintenance"),
            cls.DIGITAL_CONTENT: _l("Managing one's digital content"),
            cls.BROWSING: _l("Browsing the internet"),
            cls.EMAIL: _l("E-mail"),
            cls.OFFICE: _l("Office software"),
            cls.SOCIAL_MEDIA: _l("Social media and communication"),
            cls.HEALTH: _l("Health"),
            cls.BANKING_SHOPPING: _l("Online banking and shopping"),
            cls.ENTREPRENEURSHIP: _l("Supporting a professional"),
            cls.JOB_SEEKING: _l("Finding work"),
            cls.SECURITY: _l("Digital safety"),
            cls.PARENTING: _l("Parenting"),
            cls.SCHOOLING: _l("School and digital tools"),
            cls.CREATION: _l("Creating with digital tools"),
            cls.CULTURE: _l("Digital culture"),
            cls.AI: _l("Artificial intelligence (AI)"),
            cls.ADMIN_PROCEDURES: _l("Help with administrative procedures"),
        }


class WorkshopLevel(Choice):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"

    @classmethod
    def labels(cls):
        return {cls.BEGINNER: _l("Beginner"), cls.INTERMEDIATE: _l("Intermediate"),
                cls.ADVANCED: _l("Advanced")}


class Gender(Choice):
    MALE = "male"
    FEMALE = "female"
    NOT_GIVEN = "not_given"

    @classmethod
    def labels(cls):
        return {cls.MALE: _l("Male"), cls.FEMALE: _l("Female"), cls.NOT_GIVEN: _l("Not given")}


class Assistance(Choice):
    """Whether the facilitator guided the person or did the procedure for them."""

    WITH_PERSON = "with"
    FOR_PERSON = "for"

    @classmethod
    def labels(cls):
        return {cls.WITH_PERSON: _l("Done with the person"), cls.FOR_PERSON: _l("Done for the person")}


class Autonomy(Choice):
    GUIDED = "guided"
    PARTLY = "partly"
    AUTONOMOUS = "autonomous"

    @classmethod
    def labels(cls):
        return {cls.GUIDED: _l("Needs guidance"), cls.PARTLY: _l("Autonomous with occasional help"),
                cls.AUTONOMOUS: _l("Autonomous")}

    @property
    def rank(self):
        """0 for the least autonomous: to tell whether someone progressed between two visits."""
        return list(Autonomy).index(self)


class Outcome(Choice):
    RESOLVED = "resolved"
    FOLLOW_UP = "follow_up"
    REFERRED = "referred"
    UNRESOLVED = "unresolved"

    @classmethod
    def labels(cls):
        return {cls.RESOLVED: _l("Resolved"), cls.FOLLOW_UP: _l("To be continued"),
                cls.REFERRED: _l("Referred elsewhere"), cls.UNRESOLVED: _l("Not resolved")}


class ReferralKind(Choice):
    ADMINISTRATION = "administration"
    OPERATOR = "operator"
    FRANCE_SERVICES = "france_services"
    SOCIAL = "social"
    EMPLOYMENT = "employment"
    DIGITAL_MEDIATION = "digital_mediation"
    OTHER = "other"

    @classmethod
    def labels(cls):
        return {
            cls.ADMINISTRATION: _l("Administration (town hall, prefecture)"),
            cls.OPERATOR: _l("Operator of the procedure (CAF, CPAM, taxes…)"),
            cls.FRANCE_SERVICES: _l("France Services"),
            cls.SOCIAL: _l("Social-help structure (CCAS…)"),
            cls.EMPLOYMENT: _l("Employment structure (France Travail, mission locale)"),
            cls.DIGITAL_MEDIATION: _l("Another digital-mediation place"),
            cls.OTHER: _l("Other"),
        }


class AgeBracket(Choice):
    # "under_18" was split in two by migration 0015 (the national report's bands).
    UNDER_12 = "under_12"
    FROM_12 = "12_17"
    FROM_18 = "18_24"
    FROM_25 = "25_39"
    FROM_40 = "40_59"
    FROM_60 = "60_69"
    FROM_70 = "70_plus"
    UNKNOWN = "unknown"

    @classmethod
    def labels(cls):
        return {cls.UNDER_12: _l("Under 12"), cls.FROM_12: _l("12–17"), cls.FROM_18: _l("18–24"), cls.FROM_25: _l("25–39"),
                cls.FROM_40: _l("40–59"), cls.FROM_60: _l("60–69"), cls.FROM_70: _l("70 and over"),
                cls.UNKNOWN: _l("Not given")}

    @classmethod
    def of_birth_year(cls, birth_year, today):
        """The bracket of someone born in birth_year (their age this year, to within a year)."""
        if birth_year is None:
            return cls.UNKNOWN
        age = today.year - birth_year
        for bracket, upper in ((cls.UNDER_12, 11), (cls.FROM_12, 17), (cls.FROM_18, 24), (cls.FROM_25, 39), (cls.FROM_40, 59),
                               (cls.FROM_60, 69)):
            if age <= upper:
                return bracket
        return cls.FROM_70


class Situation(Choice):
    STUDENT = "student"
    UNEMPLOYED = "unemployed"
    EMPLOYED = "employed"
    RETIRED = "retired"
    UNKNOWN = "unknown"

    @classmethod
    def labels(cls):
        return {cls.STUDENT: _l("In education"), cls.UNEMPLOYED: _l("Unemployed"), cls.EMPLOYED: _l("In work"),
                cls.RETIRED: _l("Retired"), cls.UNKNOWN: _l("Not given")}


class TicketStatus(Choice):
    WAITING = "waiting"
    CALLED = "called"
    SERVED = "served"
    LEFT = "left"

    @classmethod
    def labels(cls):
        return {cls.WAITING: _l("Waiting"), cls.CALLED: _l("Called"), cls.SERVED: _l("Served"),
                cls.LEFT: _l("Left without being seen")}


class TicketSource(Choice):
    DESK = "desk"
    KIOSK = "kiosk"
    LATE_BOOKING = "late"

    @classmethod
    def labels(cls):
        return {cls.DESK: _l("Taken at the desk"), cls.KIOSK: _l("Taken at the kiosk"),
                cls.LATE_BOOKING: _l("Booked, arrived late")}


SESSION_DURATIONS = (15, 30, 45, 60, 90, 120)  # minutes offered as presets


def search_key(*words):
    """Lower case, without accents, spaces or hyphens: 'Hélène Lefèvre-Diop' → 'helenelefevrediop'."""
    text = " ".join(word for word in words if word)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if char.isalnum() and not unicodedata.combining(char))


class LabelledRow:
    """A list entry the coordinator maintains in both languages."""

    @property
    def label(self):
        if current_language() == "en" and self.label_en:
            return self.label_en
        return self.label_fr


class Need(LabelledRow, db.Model):
    """A need noticed at the desk: 'no e-mail address', 'no device at home'…"""

    id: Mapped[int] = mapped_column(primary_key=True)
    label_fr: Mapped[str] = mapped_column(String(160))
    label_en: Mapped[str] = mapped_column(String(160), default="")
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)


class ReferralTarget(LabelledRow, db.Model):
    """Where the person was sent next: a named structure of one of the report's kinds."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), default=ReferralKind.OTHER.value)
    label_fr: Mapped[str] = mapped_column(String(160))
    label_en: Mapped[str] = mapped_column(String(160), default="")
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)


class Commune(db.Model):
    """A commune the centre serves, with its official codes (tiers_lieu/core/communes.py checks them):
    the session form offers these, and "another commune" by its postal code for the rest."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    postal_code: Mapped[str] = mapped_column(String(5))
    insee_code: Mapped[str] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    @property
    def label(self):
        return f"{self.name} ({self.postal_code})"

    def __repr__(self):
        return f"<Commune {self.insee_code} {self.name}>"


class Resident(db.Model):
    """Someone helped at the centre, found again at the desk.

    Their history (bookings, sessions, needs, autonomy) is shown only if they agreed to be
    remembered: the consent is kept with its date and the member of staff who took it.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[Optional[str]] = mapped_column(String(80))
    phone: Mapped[Optional[str]] = mapped_column(String(16), index=True)  # E.164
    email: Mapped[Optional[str]] = mapped_column(String(254), index=True)
    neighbourhood: Mapped[Optional[str]] = mapped_column(String(120))
    # The commune remembered for the next session (only for someone who agreed to be remembered):
    # one of the list, or only the postal code of another commune.
    commune_id: Mapped[Optional[int]] = mapped_column(ForeignKey("commune.id"))
    other_postal_code: Mapped[Optional[str]] = mapped_column(String(5))
    language: Mapped[str] = mapped_column(String(5), default=DEFAULT_LANGUAGE)
    birth_year: Mapped[Optional[int]]
    age_bracket: Mapped[Optional[str]] = mapped_column(String(16))
    # search_key(first_name, last_name), for matching that ignores accents, case and spaces.
    name_key: Mapped[str] = mapped_column(String(170), index=True, default="")
    remember_consent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    remember_consent_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set when retention or erasure emptied the record: the row stays so that the statistics still
    # count the person once (people helped, new or returning), without anything that names them.
    anonymised_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    remember_consent_by = relationship("User")
    commune: Mapped[Optional[Commune]] = relationship()

    @property
    def remembered(self):
        return self.remember_consent_at is not None

    @property
    def display_name(self):
        if self.anonymised_at is not None:
            return str(_l("Erased record"))
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def refresh_name_key(self):
        self.name_key = search_key(self.first_name, self.last_name)

    def __repr__(self):
        return f"<Resident {self.id}>"


class QueueTicket(db.Model):
    """A numbered ticket of the day (A-012) for someone waiting without an appointment."""

    __table_args__ = (
        UniqueConstraint("day", "number"),
        Index("ix_queue_ticket_day_status", "day", "status"),
        # A resident's visits: the purge's "came since" and a person's access export.
        Index("ix_queue_ticket_resident_id_issued_at", "resident_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]  # the centre's local date
    number: Mapped[int]
    first_name: Mapped[Optional[str]] = mapped_column(String(80))
    topic_id: Mapped[Optional[int]] = mapped_column(ForeignKey("topic.id"))
    source: Mapped[str] = mapped_column(String(8), default=TicketSource.DESK.value)
    booking_id: Mapped[Optional[int]] = mapped_column(ForeignKey("booking.id"), index=True)
    resident_id: Mapped[Optional[int]] = mapped_column(ForeignKey("resident.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(8), default=TicketStatus.WAITING.value)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    called_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    called_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    desk: Mapped[Optional[str]] = mapped_column(String(20))  # "2", "Accueil"… shown on the display
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    topic: Mapped[Optional[Topic]] = relationship()
    booking: Mapped[Optional[Booking]] = relationship()
    resident: Mapped[Optional[Resident]] = relationship()
    called_by = relationship("User")

    @property
    def label(self):
        return ticket_label(self.number)

    @property
    def status_enum(self):
        return TicketStatus(self.status)

    def __repr__(self):
        return f"<QueueTicket {self.day} {self.label} {self.status}>"


def ticket_label(number):
    return f"A-{number:03d}"


help_session_topic = db.Table(
    "help_session_topic",
    Column("session_id", ForeignKey("help_session.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True, index=True),
)

class SessionTheme(db.Model):
    """One national theme of a help session (HelpSession.themes)."""

    __tablename__ = "help_session_theme"

    session_id: Mapped[int] = mapped_column(ForeignKey("help_session.id", ondelete="CASCADE"), primary_key=True)
    theme: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


help_session_need = db.Table(
    "help_session_need",
    Column("session_id", ForeignKey("help_session.id", ondelete="CASCADE"), primary_key=True),
    Column("need_id", ForeignKey("need.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class HelpSession(db.Model):
    """What a facilitator logs after helping someone, booked or walk-in, alone or in a workshop.

    A workshop is one row with participant_count people; the named ones (residents, bookings)
    are its attendees, the rest are anonymous. Statistics count one per participant.
    """

    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("participant_count >= 1", name="someone_helped"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), default=SessionKind.INDIVIDUAL.value)
    # The centre's local date. Its old value is read before a change (active history), so that the
    # statistics' per-day counts (stats/daily_counts.py) count again the day a session left.
    day: Mapped[date] = mapped_column(index=True, active_history=True)
    start_time: Mapped[Optional[time]]  # local wall clock, for the busiest hours
    duration_minutes: Mapped[int]
    channel: Mapped[str] = mapped_column(String(12), default=Channel.ON_SITE.value)
    equipment: Mapped[Optional[str]] = mapped_column(String(12))
    equipment_own: Mapped[Optional[bool]]
    admin_domain: Mapped[Optional[str]] = mapped_column(String(16))
    procedure_name: Mapped[Optional[str]] = mapped_column(String(120))
    assistance: Mapped[Optional[str]] = mapped_column(String(8))
    aidants_connect: Mapped[bool] = mapped_column(default=False)
    autonomy: Mapped[Optional[str]] = mapped_column(String(12))
    outcome: Mapped[Optional[str]] = mapped_column(String(12))
    referral_target_id: Mapped[Optional[int]] = mapped_column(ForeignKey("referral_target.id"))
    participant_count: Mapped[int] = mapped_column(default=1)
    age_bracket: Mapped[Optional[str]] = mapped_column(String(16))
    situation: Mapped[Optional[str]] = mapped_column(String(12))
    neighbourhood: Mapped[Optional[str]] = mapped_column(String(120))
    # Where the person lives: a commune of the list, or another one known by its postal code only.
    commune_id: Mapped[Optional[int]] = mapped_column(ForeignKey("commune.id"))
    other_postal_code: Mapped[Optional[str]] = mapped_column(String(5))
    gender: Mapped[Optional[str]] = mapped_column(String(12))  # NULL: logged before it was asked
    workshop_title: Mapped[Optional[str]] = mapped_column(String(120))  # workshops only
    workshop_level: Mapped[Optional[str]] = mapped_column(String(16))  # workshops only
    first_visit: Mapped[Optional[bool]]
    note: Mapped[Optional[str]] = mapped_column(String(280))
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    location_id: Mapped[Optional[int]] = mapped_column(ForeignKey("location.id"))
    slot_id: Mapped[Optional[int]] = mapped_column(ForeignKey("slot.id", ondelete="SET NULL"))
    ticket_id: Mapped[Optional[int]] = mapped_column(ForeignKey("queue_ticket.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    topics: Mapped[list[Topic]] = relationship(secondary=help_session_topic, order_by=Topic.position)
    needs: Mapped[list[Need]] = relationship(secondary=help_session_need, order_by=Need.position)
    theme_rows: Mapped[list[SessionTheme]] = relationship(cascade="all, delete-orphan")
    commune: Mapped[Optional[Commune]] = relationship()
    attendees: Mapped[list["Attendee"]] = relationship(back_populates="session", cascade="all, delete-orphan")
    referral_target: Mapped[Optional[ReferralTarget]] = relationship()
    facilitator = relationship("User")
    location: Mapped[Optional[Location]] = relationship()
    ticket: Mapped[Optional[QueueTicket]] = relationship()

    @property
    def kind_enum(self):
        return SessionKind(self.kind)

    @property
    def themes(self):
        """The national theme codes, in the report's order."""
        return sorted_themes(row.theme for row in self.theme_rows)

    @themes.setter
    def themes(self, codes):
        """Keeps the rows of the themes still ticked, so that an unchanged list writes nothing."""
        wanted = set(codes)
        kept = [row for row in self.theme_rows if row.theme in wanted]
        kept_codes = {row.theme for row in kept}
        self.theme_rows = kept + [SessionTheme(theme=code) for code in sorted_themes(wanted - kept_codes)]

    def __repr__(self):
        return f"<HelpSession {self.id} {self.day} {self.kind} x{self.participant_count}>"


def sorted_themes(codes):
    """National theme codes in the report's order (unknown codes last, as a safety)."""
    order = {theme.value: index for index, theme in enumerate(NationalTheme)}
    return sorted(set(codes), key=lambda code: (order.get(code, len(order)), code))


class Attendee(db.Model):
    """A named participant of a help session: a resident who agreed to be remembered, or a booking."""

    __tablename__ = "help_session_attendee"
    __table_args__ = (Index("ix_help_session_attendee_resident_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("help_session.id", ondelete="CASCADE"), index=True,
                                            active_history=True)  # as HelpSession.day
    resident_id: Mapped[Optional[int]] = mapped_column(ForeignKey("resident.id", ondelete="SET NULL"))
    booking_id: Mapped[Optional[int]] = mapped_column(ForeignKey("booking.id", ondelete="SET NULL"), index=True)

    session: Mapped[HelpSession] = relationship(back_populates="attendees")
    resident: Mapped[Optional[Resident]] = relationship()
    booking: Mapped[Optional[Booking]] = relationship()
