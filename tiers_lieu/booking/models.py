"""Topics, places, opening hours, closures, slots and bookings (DESIGN.md §2)."""
import enum
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Optional

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import text as sa_text
from sqlalchemy import true as sa_true
from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db

DEFAULT_LANGUAGE = "fr"


def current_language():
    """Return the language of the current request, or French outside any request."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


opening_rule_topic = db.Table(
    "opening_rule_topic",
    Column("rule_id", ForeignKey("opening_rule.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
)

slot_topic = db.Table(
    "slot_topic",
    Column("slot_id", ForeignKey("slot.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
)


class TopicText:
    """What residents read of a topic, in their language: shared by the model and its `TopicCard`."""

    def localised(self, field):
        """Return this text field in the current language, or in French when it is not translated."""
        return getattr(self, f"{field}_{current_language()}", None) or getattr(self, f"{field}_fr")

    def language_of(self, field):
        """The language `localised(field)` is written in: the page's, or French, the centre's own,
        when the coordinators wrote none in the page's language (a topic has French and English)."""
        language = current_language()
        return language if getattr(self, f"{field}_{language}", None) else DEFAULT_LANGUAGE

    @property
    def name(self):
        return self.localised("name")

    @property
    def description(self):
        return self.localised("description")

    @property
    def what_to_bring(self):
        return self.localised_lines(current_language())

    def localised_lines(self, language):
        """The "what to bring" list in this language (French when it is not translated)."""
        text = getattr(self, f"what_to_bring_{language}", None) or self.what_to_bring_fr
        return [line.strip() for line in text.splitlines() if line.strip()]

    @property
    def pictogram_path(self):
        """Path of the pictogram under static/, for `url_for("static", filename=...)`."""
        return f"img/topics/{self.pictogram}"


class Topic(TopicText, db.Model):
    """What a resident comes for: administrative procedures, online shopping, school follow-up…"""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    # File name of an SVG under static/img/topics/.
    pictogram: Mapped[str] = mapped_column(String(80), default="")
    colour: Mapped[str] = mapped_column(String(7), default="#1d4e89")
    default_duration: Mapped[int] = mapped_column(default=30)  # minutes
    # One item per line.
    what_to_bring_fr: Mapped[str] = mapped_column(Text, default="")
    what_to_bring_en: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    # What the topic is in the national open-data lists (issue 16, opendata/vocabulary.py): the
    # MedNum "services" and the data·inclusion "thematiques". Always assign a new list.
    mednum_services: Mapped[list[str]] = mapped_column(JSON, default=list)
    di_thematiques: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The national report's themes (desk.models.NationalTheme codes) pre-ticked in the session
    # form when the topic is ticked. Always assign a new list.
    national_themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    procedures: Mapped[list["Procedure"]] = relationship(
        back_populates="topic", order_by="Procedure.position"
    )

    def __repr__(self):
        return f"<Topic {self.slug}>"


@dataclass(frozen=True)
class TopicCard(TopicText):
    """An active topic as the public pages show it: a plain copy of the row, which a process may
    keep for a few seconds (see `availability.topic_cards`) and no session can write back."""

    id: int
    slug: str
    name_fr: str
    name_en: str
    description_fr: str
    description_en: str
    pictogram: str
    colour: str
    default_duration: int
    what_to_bring_fr: str
    what_to_bring_en: str

    @classmethod
    def of(cls, topic):
        return cls(**{name: getattr(topic, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class TopicLabel(TopicText):
    """A topic's names, enough to say it in the request's language (`TopicText.name`): what the
    desk's plain rows carry of a topic."""

    id: int
    name_fr: str
    name_en: str


class Procedure(db.Model):
    """A finer label under a topic: CAF, impots.gouv, Pronote…"""

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    topic: Mapped[Topic] = relationship(back_populates="procedures")


class Location(db.Model):
    """A place or room where residents are helped."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self):
        return f"<Location {self.id} {self.name}>"


class OpeningRule(db.Model):
    """Weekly opening hours, cut into slots on the centre's wall clock.

    Rules are deactivated rather than deleted: their slots keep pointing at them.
    """

    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("start_time < end_time", name="starts_before_end"),
        CheckConstraint("slot_length > 0", name="slot_length_positive"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("capacity = 1 OR workshop_title IS NOT NULL", name="workshop_has_title"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int]  # 0 = Monday, as date.weekday()
    start_time: Mapped[time]
    end_time: Mapped[time]
    slot_length: Mapped[int]  # minutes
    # 1 = individual help; more = a collective workshop.
    capacity: Mapped[int] = mapped_column(default=1)
    workshop_title: Mapped[Optional[str]] = mapped_column(String(160))
    facilitator_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True
    )
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), index=True)
    valid_from: Mapped[date]
    valid_until: Mapped[Optional[date]]
    active: Mapped[bool] = mapped_column(default=True)

    topics: Mapped[list[Topic]] = relationship(secondary=opening_rule_topic, order_by=Topic.position)
    location: Mapped[Location] = relationship()
    facilitator = relationship("User")

    def __repr__(self):
        return f"<OpeningRule {self.id} day {self.weekday} {self.start_time}-{self.end_time}>"


class Closure(db.Model):
    """Days when no slot is offered, for the whole centre or for one place."""

    __table_args__ = (CheckConstraint("start_date <= end_date", name="starts_before_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    start_date: Mapped[date] = mapped_column(index=True)
    end_date: Mapped[date]  # inclusive
    reason: Mapped[str] = mapped_column(String(160), default="")
    # None closes the whole centre.
    location_id: Mapped[Optional[int]] = mapped_column(ForeignKey("location.id"), index=True)
    # Set for a facilitator's absence: only that facilitator's slots are closed.
    facilitator_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id"), index=True)

    location: Mapped[Optional[Location]] = relationship()
    facilitator = relationship("User")

    @property
    def label(self):
        """The reason in the page's language: a public holiday added by the app is stored under
        its French name (slotgen's), which is also its key here; what staff typed stays as typed."""
        name = PUBLIC_HOLIDAY_NAMES.get(self.reason)
        return name if name is not None and self.start_date == self.end_date else self.reason


# The French names of slotgen.french_public_holidays, as stored in Closure.reason.
PUBLIC_HOLIDAY_NAMES = {
    "Jour de l'an": _l("New Year's Day"),
    "Lundi de Pâques": _l("Easter Monday"),
    "Fête du Travail": _l("Labour Day"),
    "Victoire 1945": _l("Victory in Europe Day"),
    "Ascension": _l("Ascension Day"),
    "Lundi de Pentecôte": _l("Whit Monday"),
    "Fête nationale": _l("Bastille Day"),
    "Assomption": _l("Assumption Day"),
    "Toussaint": _l("All Saints' Day"),
    "Armistice 1918": _l("Armistice Day"),
    "Noël": _l("Christmas Day"),
}


class Seats:
    """What a slot's capacity and seats taken tell: shared by the model and its listings' rows."""

    __slots__ = ()

    @property
    def is_workshop(self):
        return self.capacity > 1

    @property
    def seats_left(self):
        return self.capacity - self.seats_taken


class Slot(Seats, db.Model):
    """One bookable time with a number of seats: 1 for individual help, more for a workshop."""

    __table_args__ = (
        # Backs the conditional seat update: whatever the concurrency, never more than capacity.
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats_within_capacity"),
        CheckConstraint("starts_at < ends_at", name="starts_before_end"),
        # Regenerating the slots of a rule can never duplicate one.
        UniqueConstraint("rule_id", "starts_at", name="uq_slot_rule_id_starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(default=1)
    seats_taken: Mapped[int] = mapped_column(default=0)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), index=True)
    facilitator_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True
    )
    # None for a slot added by hand rather than generated from opening hours.
    rule_id: Mapped[Optional[int]] = mapped_column(ForeignKey("opening_rule.id"))
    workshop_title: Mapped[Optional[str]] = mapped_column(String(160))
    cancelled: Mapped[bool] = mapped_column(default=False)
    # False once the opening hours or a closure no longer offer it while residents still hold
    # seats: those stay booked until staff call them, but nobody new may book it.
    offered: Mapped[bool] = mapped_column(default=True, server_default=sa_true())

    topics: Mapped[list[Topic]] = relationship(secondary=slot_topic, order_by=Topic.position)
    location: Mapped[Location] = relationship()
    facilitator = relationship("User")
    rule: Mapped[Optional[OpeningRule]] = relationship()
    # Bookings are never orphaned: the database refuses to delete a slot that still has some.
    bookings: Mapped[list["Booking"]] = relationship(back_populates="slot", passive_deletes="all")

    def __repr__(self):
        return f"<Slot {self.id} {self.starts_at:%Y-%m-%d %H:%M}Z {self.seats_taken}/{self.capacity}>"


class BookingStatus(str, enum.Enum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    SEEN = "seen"
    NO_SHOW = "no_show"
    CANCELLED_BY_RESIDENT = "cancelled_by_resident"
    CANCELLED_BY_CENTRE = "cancelled_by_centre"

    @property
    def label(self):
        return BOOKING_STATUS_LABELS[self]


BOOKING_STATUS_LABELS = {
    BookingStatus.BOOKED: _l("Upcoming"),
    BookingStatus.CHECKED_IN: _l("Arrived"),
    BookingStatus.SEEN: _l("Seen"),
    BookingStatus.NO_SHOW: _l("No-show"),
    BookingStatus.CANCELLED_BY_RESIDENT: _l("Cancelled by the resident"),
    BookingStatus.CANCELLED_BY_CENTRE: _l("Cancelled by the centre"),
}

# The groups of statuses, named here only: the booking service, the desk, the statistics and the
# templates ask these (or the predicates of `BookingState` below), never a list of their own.
# Holds a seat: counts in its slot's seats_taken (a no-show gave the seat back).
HOLDS_SEAT = (BookingStatus.BOOKED.value, BookingStatus.CHECKED_IN.value, BookingStatus.SEEN.value)
# Still expected: not yet helped nor cancelled; the resident or staff may still cancel it.
EXPECTED = (BookingStatus.BOOKED.value, BookingStatus.CHECKED_IN.value)
CANCELLED = (BookingStatus.CANCELLED_BY_RESIDENT.value, BookingStatus.CANCELLED_BY_CENTRE.value)
# May be checked in, on the day of its slot: a no-show who turns up after all too.
CHECKS_IN = (BookingStatus.BOOKED.value, BookingStatus.NO_SHOW.value)


class BookingState:
    """What a booking's status allows: shared by the model and the desk's rows (`desk.reception.agenda`).

    Needs `status` and its slot's `slot_starts_at` and `slot_ends_at`.
    """

    __slots__ = ()

    @property
    def status_enum(self):
        return BookingStatus(self.status)

    @property
    def holds_seat(self):
        return self.status in HOLDS_SEAT

    @property
    def is_expected(self):
        return self.status in EXPECTED

    @property
    def is_cancelled(self):
        return self.status in CANCELLED

    @property
    def can_check_in(self):
        """Whether the resident may be checked in (on the day of the slot: the desk checks the day)."""
        return self.status in CHECKS_IN

    def can_mark_no_show(self, now):
        """Only once the slot has started, and only for someone still awaited."""
        return self.status == BookingStatus.BOOKED.value and self.slot_starts_at <= now

    @property
    def can_log_session(self):
        """A help session is logged from the desk for a resident who has arrived."""
        return self.status == BookingStatus.CHECKED_IN.value

    def can_cancel(self, now):
        """Staff may cancel a booking still expected until its slot ends."""
        return self.is_expected and self.slot_ends_at > now


class Booking(BookingState, db.Model):
    """A resident's seat on a slot, reached through its secret link or its code and contact.

    Cancelled and no-show bookings stay for the statistics; only retention removes them.
    """

    __table_args__ = (Index("ix_booking_slot_id_status", "slot_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"), index=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    # sha256 hex of the secret link's token; the token itself is never stored. Empty once anonymised.
    token_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    phone: Mapped[Optional[str]] = mapped_column(String(16), index=True)  # E.164
    email: Mapped[Optional[str]] = mapped_column(String(254), index=True)
    note: Mapped[Optional[str]] = mapped_column(String(280))
    reminder_consent: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(5), default=DEFAULT_LANGUAGE)
    status: Mapped[str] = mapped_column(String(24), default=BookingStatus.BOOKED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Sent with the booking form, so that a double submission books once.
    request_key: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    # Set when a member of staff booked for the resident (at the desk, on the phone).
    booked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    resident_id: Mapped[Optional[int]] = mapped_column(ForeignKey("resident.id", ondelete="SET NULL"), index=True)
    checked_in_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Why the centre cancelled, told to the resident; never personal.
    cancel_reason: Mapped[Optional[str]] = mapped_column(String(160))
    # Set when retention or erasure emptied the contact details (privacy/anonymise.py): the status,
    # slot, topic and dates stay for the statistics.
    anonymised_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    slot: Mapped[Slot] = relationship(back_populates="bookings")
    topic: Mapped[Topic] = relationship()
    resident = relationship("Resident")

    @property
    def slot_starts_at(self):
        return self.slot.starts_at

    @property
    def slot_ends_at(self):
        return self.slot.ends_at

    def __repr__(self):
        return f"<Booking {self.id} slot {self.slot_id} {self.status}>"


class BookingRules(db.Model):
    """The rules the coordinator sets for online booking (one row)."""

    __table_args__ = (
        CheckConstraint("min_notice_minutes >= 0", name="notice_not_negative"),
        CheckConstraint("horizon_weeks >= 1", name="horizon_positive"),
        CheckConstraint("change_deadline_minutes >= 0", name="deadline_not_negative"),
        CheckConstraint("max_active_per_contact >= 1", name="cap_positive"),
        CheckConstraint("callback_weeks >= 1", name="callback_weeks_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    min_notice_minutes: Mapped[int] = mapped_column(default=120)
    horizon_weeks: Mapped[int] = mapped_column(default=8)
    # 0: residents may cancel or move until the slot starts.
    change_deadline_minutes: Mapped[int] = mapped_column(default=0)
    max_active_per_contact: Mapped[int] = mapped_column(default=2)
    # A booked resident who checks in later than this after the start joins the walk-in queue.
    late_grace_minutes: Mapped[int] = mapped_column(default=10, server_default="10")
    # A call-back request still waiting after this many weeks ends: nobody is offered a seat for
    # a need of two months ago.
    callback_weeks: Mapped[int] = mapped_column(default=6, server_default="6")


class CallbackRequest(db.Model):
    """"No slot suits me: tell me when one frees up." The waiting list (`booking/callbacks.py`):
    a seat that frees up and fits the request is offered to it by message (`booking/offers.py`),
    or shown to the desk when the person asked for a call."""

    __table_args__ = (
        # The offer's one query: the oldest open requests of a topic.
        Index("ix_callback_request_open", "topic_id", "created_at",
              sqlite_where=sa_text("handled_at IS NULL AND ended_at IS NULL"),
              postgresql_where=sa_text("handled_at IS NULL AND ended_at IS NULL")),
        CheckConstraint("offers_sent >= 0", name="offers_sent_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str] = mapped_column(String(16))  # E.164
    email: Mapped[Optional[str]] = mapped_column(String(254))
    # Half-days that suit the resident, e.g. "mon-am tue-pm", and their own words; none: any time.
    moments: Mapped[str] = mapped_column(String(120), default="")
    # The same half-days as bits (`callbacks.moment_bit`), for the offer's query to test in SQL.
    moment_mask: Mapped[int] = mapped_column(default=0, server_default="0")
    moments_note: Mapped[Optional[str]] = mapped_column(String(280))
    # How the person wants to hear of a free seat: "sms", "email" (an offer, sent by itself), or
    # "call" (the desk calls them).
    notify_by: Mapped[str] = mapped_column(String(10), default="call", server_default="call")
    language: Mapped[str] = mapped_column(String(5), default=DEFAULT_LANGUAGE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Set when a fitting seat frees up on the topic: staff see the request flagged as a match.
    matched_slot_id: Mapped[Optional[int]] = mapped_column(ForeignKey("slot.id", ondelete="SET NULL"))
    matched_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    handled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    offers_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the request ended by itself, and why: "booked" (from an offer) or "withdrawn" (by the
    # person, from an offer's link). A request also ends after the weeks the rules say.
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    end_reason: Mapped[Optional[str]] = mapped_column(String(10))
    anonymised_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    topic: Mapped[Topic] = relationship()
    matched_slot: Mapped[Optional[Slot]] = relationship()
    handled_by = relationship("User")


class SeatOffer(db.Model):
    """A freed seat offered to a waiting request by message, with a link that books it in one tap.

    The seat is not held: whoever takes it first has it. Taken when the link booked it."""

    __table_args__ = (UniqueConstraint("request_id", "slot_id", name="uq_seat_offer_request_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("callback_request.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the link's secret, as for bookings: the database alone cannot rebuild a link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    taken_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    booking_id: Mapped[Optional[int]] = mapped_column(ForeignKey("booking.id", ondelete="SET NULL"))

    request: Mapped[CallbackRequest] = relationship()
    slot: Mapped[Slot] = relationship()
