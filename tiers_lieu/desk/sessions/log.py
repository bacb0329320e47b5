"""The help-session log: prefill from what brought the person, save, edit with an audit trail.

Plain functions taking the database session; the views only parse forms and render.
"""
import enum
from dataclasses import dataclass, field
from datetime import time
from typing import Optional

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import selectinload

from ... import audit
from ...audit import AuditEvent
from ...core.centre import centre_timezone
from ...booking.models import EXPECTED, HOLDS_SEAT, Booking, BookingStatus, Slot, Topic, current_language
from ...booking.topics import active_topics
from ...database import utcnow
from ...settings_cache import forget_when_flushed, remember
from ...stats import daily_counts
from ..models import (AgeBracket, Attendee, Channel, Commune, Gender, HelpSession, Need, QueueTicket, ReferralTarget,
                     Resident, SessionKind, TicketStatus, help_session_need, help_session_topic, sorted_themes)

# The bookings a workshop's log names as its participants: those who held a seat.

# The columns a form edits, compared one by one to tell the audit trail which ones changed.
SCALAR_FIELDS = (
    "kind", "day", "start_time", "duration_minutes", "channel", "equipment", "equipment_own",
    "admin_domain", "procedure_name", "assistance", "aidants_connect", "autonomy", "outcome",
    "referral_target_id", "participant_count", "age_bracket", "situation", "neighbourhood",
    "first_visit", "note", "workshop_title", "workshop_level", "gender", "commune_id", "other_postal_code",
)
# Topics about administrative procedures: the form asks for the procedure's domain with them.
ADMIN_TOPIC_SLUGS = ("demarches",)
MAX_DURATION = 8 * 60  # minutes: a help session never lasts longer than a working day


class Problem(enum.Enum):
    """Why a session cannot be logged as asked; the views say it in plain words."""

    OTHER_DAY = "other_day"        # the booking is on another day than the session's date
    CANCELLED = "cancelled"        # the booking was cancelled
    NO_SHOW = "no_show"            # the booking is marked as a no-show
    ALREADY_LOGGED = "logged"      # the booking or the ticket already has its session (a second click)


class CannotLog(Exception):
    def __init__(self, problem, session_id=None):
        super().__init__(problem.value)
        self.problem = problem
        self.session_id = session_id  # the session already logged, to edit it instead


@dataclass
class Origin:
    """What a session is logged from: a booking, a walk-in ticket, a workshop slot, a resident."""

    booking: Optional[Booking] = None
    ticket: Optional[QueueTicket] = None
    slot: Optional[Slot] = None
    resident: Optional[Resident] = None
    # The bookings of a workshop slot, each a possible named participant.
    participants: list = field(default_factory=list)

    @property
    def person(self):
        """The resident the session is about, when one is known."""
        if self.resident is not None:
            return self.resident
        if self.booking is not None and self.booking.resident is not None:
            return self.booking.resident
        if self.ticket is not None:
            return self.ticket.resident or (self.ticket.booking.resident if self.ticket.booking else None)
        return None


def load_origin(session, booking_id=None, ticket_id=None, slot_id=None, resident_id=None):
    """The rows named by the form's address; None for an id that does not exist."""
    origin = Origin()
    if booking_id is not None:
        origin.booking = session.get(Booking, booking_id, options=[
            selectinload(Booking.slot).selectinload(Slot.location), selectinload(Booking.resident)])
        if origin.booking is None:
            return None
    if ticket_id is not None:
        origin.ticket = session.get(QueueTicket, ticket_id)
        if origin.ticket is None:
            return None
        if origin.booking is None and origin.ticket.booking is not None:
            origin.booking = origin.ticket.booking
    if slot_id is not None:
        origin.slot = session.get(Slot, slot_id, options=[selectinload(Slot.topics), selectinload(Slot.location)])
        if origin.slot is None:
            return None
        origin.participants = session.execute(
            select(Booking).where(Booking.slot_id == slot_id, Booking.status.in_(HOLDS_SEAT))
            .options(selectinload(Booking.resident)).order_by(Booking.first_name, Booking.id)
        ).scalars().all()
        if origin.slot.capacity == 1 and origin.booking is None and len(origin.participants) == 1:
            # A one-seat slot: the session is its booking's.
            origin.booking, origin.participants = origin.participants[0], []
    if resident_id is not None:
        origin.resident = session.get(Resident, resident_id)
        if origin.resident is None:
            return None
    return origin


def slot_minutes(slot):
    return max(1, round((slot.ends_at - slot.starts_at).total_seconds() / 60))


def prefill(session, origin, tz, now=None):
    """The form's starting values for this origin: what a typical log needs, typed for the facilitator."""
    now = now or utcnow()
    local_now = now.astimezone(tz)
    values = {
        "kind": SessionKind.INDIVIDUAL.value, "day": local_now.date(),
        "start_time": local_now.time().replace(second=0, microsecond=0), "duration": 30,
        "channel": Channel.ON_SITE.value, "topics": [], "participant_count": 1, "participants": [],
        "gender": Gender.NOT_GIVEN.value,
    }
    booking, ticket, slot = origin.booking, origin.ticket, origin.slot
    if booking is not None:
        start = booking.slot.starts_at.astimezone(tz)
        values.update(day=start.date(), start_time=start.time(), topics=[booking.topic_id],
                      duration=booking.topic.default_duration or slot_minutes(booking.slot))
    if ticket is not None:
        values["day"] = ticket.day
        if ticket.called_at is not None:
            values["start_time"] = ticket.called_at.astimezone(tz).time().replace(second=0, microsecond=0)
        if ticket.topic_id and not values["topics"]:
            values["topics"] = [ticket.topic_id]
            values["duration"] = ticket.topic.default_duration or 30
    if slot is not None:
        start = slot.starts_at.astimezone(tz)
        values.update(day=start.date(), start_time=start.time(), duration=slot_minutes(slot))
        if booking is None:
            values["topics"] = [topic.id for topic in slot.topics]
        if slot.capacity > 1:
            values.update(kind=SessionKind.WORKSHOP.value, workshop_title=(slot.workshop_title or "")[:120] or None,
                          participant_count=max(1, len(origin.participants)),
                          participants=[b.id for b in origin.participants])
    values["themes"] = topic_themes(session, values["topics"])
    person = origin.person
    if person is not None:
        if person.remembered:
            values.update(commune_id=person.commune_id, other_postal_code=person.other_postal_code)
        values.update(neighbourhood=person.neighbourhood or "",
                      age_bracket=person.age_bracket or AgeBracket.of_birth_year(person.birth_year, local_now.date()).value)
    values["first_visit"] = first_visit_value(session, origin)
    return values


def topic_themes(session, topic_ids):
    """The national themes the topics pre-tick, in the report's order."""
    if not topic_ids:
        return []
    lists = session.execute(select(Topic.national_themes).where(Topic.id.in_(topic_ids))).scalars()
    return sorted_themes(theme for themes in lists for theme in themes or ())


def first_visit_value(session, origin):
    """'returning' when the person is known to have come before, '' when nobody can tell."""
    person = origin.person
    if person is not None and person.remembered:
        came_before = session.execute(
            select(Attendee.id).where(Attendee.resident_id == person.id).limit(1)).first() is not None
        return "returning" if came_before else "first"
    return ""


@dataclass
class SessionData:
    """What the form says about a session, already checked and converted."""

    kind: str
    day: object
    start_time: Optional[time]
    duration_minutes: int
    channel: str
    equipment: Optional[str] = None
    equipment_own: Optional[bool] = None
    topic_ids: list = field(default_factory=list)
    admin_domain: Optional[str] = None
    procedure_name: Optional[str] = None
    assistance: Optional[str] = None
    aidants_connect: bool = False
    autonomy: Optional[str] = None
    outcome: Optional[str] = None
    referral_target_id: Optional[int] = None
    need_ids: list = field(default_factory=list)
    age_bracket: Optional[str] = None
    situation: Optional[str] = None
    neighbourhood: Optional[str] = None
    first_visit: Optional[bool] = None
    participant_count: int = 1
    participant_booking_ids: list = field(default_factory=list)
    note: Optional[str] = None
    location_id: Optional[int] = None
    themes: list = field(default_factory=list)  # NationalTheme codes
    workshop_title: Optional[str] = None
    workshop_level: Optional[str] = None
    gender: Optional[str] = None
    commune_id: Optional[int] = None
    other_postal_code: Optional[str] = None

    def scalars(self):
        values = {name: getattr(self, name) for name in SCALAR_FIELDS}
        if self.assistance != "for":
            values["aidants_connect"] = False
        return values


def check_booking(booking, day):
    """Raise CannotLog unless a session of `day` may be logged for this booking."""
    if booking.is_cancelled:
        raise CannotLog(Problem.CANCELLED)
    if booking.status == BookingStatus.NO_SHOW.value:
        raise CannotLog(Problem.NO_SHOW)
    if booking_day(booking) != day:
        raise CannotLog(Problem.OTHER_DAY)


def booking_day(booking):
    return booking.slot.starts_at.astimezone(centre_timezone()).date()


def log_session(session, data, author, origin):
    """Save the session and what it settles, in one transaction; return it.

    Kept up to date with it: the booking (seen) or the ticket (served), the audit log, and the
    statistics' per-day counts (`stats.daily_counts`, whose session listeners the application
    factory registers: they add this session's answers to its day at commit).

    The resident is linked only if they agreed to be remembered; otherwise the session is
    anonymous. Raises CannotLog when the booking cannot be logged for that day.
    """
    now = utcnow()
    booking, ticket, slot = origin.booking, origin.ticket, origin.slot
    if booking is not None:
        check_booking(booking, data.day)
    logged = already_logged(session, origin)
    if logged is not None:
        raise CannotLog(Problem.ALREADY_LOGGED, logged)
    named = []
    if slot is not None and data.kind == SessionKind.WORKSHOP.value:
        wanted = set(data.participant_booking_ids)
        named = [b for b in origin.participants if b.id in wanted]
    elif booking is not None:
        named = [booking]

    help_session = HelpSession(**data.scalars(), facilitator_id=author.id, created_at=now, updated_at=now,
                               slot_id=(slot.id if slot is not None else booking.slot_id if booking is not None else None),
                               ticket_id=ticket.id if ticket is not None else None,
                               location_id=data.location_id or location_of(origin))
    attendees = []
    for attendee_booking in named:
        resident = attendee_booking.resident
        attendees.append(Attendee(
            booking_id=attendee_booking.id,
            resident_id=resident.id if resident is not None and resident.remembered else None))
    person = origin.person
    if not named and person is not None and person.remembered:
        attendees.append(Attendee(resident_id=person.id))
    help_session.attendees = attendees
    help_session.themes = data.themes
    session.add(help_session)
    session.flush()
    # The ids were checked against the form's lists: link them without loading the rows again.
    if data.topic_ids:
        session.execute(insert(help_session_topic), [
            {"session_id": help_session.id, "topic_id": topic_id} for topic_id in sorted(set(data.topic_ids))])
    if data.need_ids:
        session.execute(insert(help_session_need), [
            {"session_id": help_session.id, "need_id": need_id} for need_id in sorted(set(data.need_ids))])

    remember_commune(origin.person, data)
    seen = [b.id for b in named]
    if seen:
        session.execute(
            update(Booking)
            .where(Booking.id.in_(seen), Booking.status.in_(EXPECTED))
            .values(status=BookingStatus.SEEN.value, updated_at=now)
            .execution_options(synchronize_session=False))
    if ticket is not None:
        session.execute(
            update(QueueTicket)
            .where(QueueTicket.id == ticket.id, QueueTicket.status != TicketStatus.SERVED.value)
            .values(status=TicketStatus.SERVED.value, closed_at=now)
            .execution_options(synchronize_session=False))
    audit.record("session.created", help_session, actor=author, attendees=len(attendees))
    session.commit()
    return help_session


def remember_commune(person, data):
    """Keep the commune of the session on the resident for their next visit: only for someone who
    agreed to be remembered, and only for a session about them alone (not a workshop's)."""
    if person is None or not person.remembered or data.kind == SessionKind.WORKSHOP.value:
        return
    if data.commune_id is None and data.other_postal_code is None:
        return  # "not given" this time does not forget what the person said before
    if (person.commune_id, person.other_postal_code) != (data.commune_id, data.other_postal_code):
        person.commune_id, person.other_postal_code = data.commune_id, data.other_postal_code


def already_logged(session, origin):
    """The id of the session already logged for this booking or ticket, if any."""
    if origin.slot is not None and origin.slot.capacity > 1:
        return session.execute(select(HelpSession.id).where(
            HelpSession.slot_id == origin.slot.id, HelpSession.kind == SessionKind.WORKSHOP.value).limit(1)).scalar()
    if origin.ticket is not None:
        found = session.execute(select(HelpSession.id).where(HelpSession.ticket_id == origin.ticket.id).limit(1)).scalar()
        if found is not None:
            return found
    if origin.booking is not None:
        return session.execute(select(Attendee.session_id).where(Attendee.booking_id == origin.booking.id)
                               .limit(1)).scalar()
    return None


def location_of(origin):
    if origin.slot is not None:
        return origin.slot.location_id
    if origin.booking is not None:
        return origin.booking.slot.location_id
    return None


def topics_by_id(session, ids):
    if not ids:
        return []
    return session.execute(select(Topic).where(Topic.id.in_(ids)).order_by(Topic.position, Topic.id)).scalars().all()


def needs_by_id(session, ids):
    if not ids:
        return []
    return session.execute(select(Need).where(Need.id.in_(ids)).order_by(Need.position, Need.id)).scalars().all()


def can_edit(user, help_session):
    """A session is edited by its author or by a coordinator."""
    return user.is_coordinator or help_session.facilitator_id == user.id


def values_of(help_session):
    """The form's values for an existing session."""
    values = {name: getattr(help_session, name) for name in SCALAR_FIELDS}
    values.update(duration=help_session.duration_minutes,
                  topics=[topic.id for topic in help_session.topics], themes=help_session.themes,
                  needs=[need.id for need in help_session.needs],
                  participants=[a.booking_id for a in help_session.attendees if a.booking_id],
                  first_visit={True: "first", False: "returning", None: ""}[help_session.first_visit])
    return values


def update_session(session, help_session, data, editor):
    """Apply the form's values; record which fields changed (names only) in the audit trail.

    Return the names of the changed fields (empty when nothing changed).
    """
    changed = []
    for name, value in data.scalars().items():
        if getattr(help_session, name) != value:
            setattr(help_session, name, value)
            changed.append(name)
    topic_ids = sorted(data.topic_ids)
    if sorted(topic.id for topic in help_session.topics) != topic_ids:
        help_session.topics = topics_by_id(session, topic_ids)
        changed.append("topics")
    if help_session.themes != sorted_themes(data.themes):
        help_session.themes = data.themes
        changed.append("themes")
    need_ids = sorted(data.need_ids)
    if sorted(need.id for need in help_session.needs) != need_ids:
        help_session.needs = needs_by_id(session, need_ids)
        changed.append("needs")
    if help_session.kind == SessionKind.WORKSHOP.value and help_session.slot_id is not None:
        named = {a.booking_id for a in help_session.attendees if a.booking_id}
        wanted = set(data.participant_booking_ids)
        if named != wanted:
            sync_participants(session, help_session, wanted)
            changed.append("participants")
    if changed:
        help_session.updated_at = utcnow()
        audit.record("session.updated", help_session, actor=editor, fields=changed)
    if help_session.kind != SessionKind.WORKSHOP.value:
        remembered = [a.resident for a in help_session.attendees if a.resident is not None]
        if len(remembered) == 1:
            remember_commune(remembered[0], data)
    session.commit()
    return changed


def sync_participants(session, help_session, wanted):
    """Name exactly the `wanted` bookings of the workshop's slot as its participants."""
    bookings = session.execute(
        select(Booking).where(Booking.slot_id == help_session.slot_id, Booking.id.in_(wanted or [0]),
                              Booking.status.in_(HOLDS_SEAT))
        .options(selectinload(Booking.resident))).scalars().all()
    keep = {b.id for b in bookings}
    help_session.attendees = [a for a in help_session.attendees if a.booking_id is None or a.booking_id in keep]
    present = {a.booking_id for a in help_session.attendees}
    for booking in bookings:
        if booking.id not in present:
            remembered = booking.resident is not None and booking.resident.remembered
            help_session.attendees.append(Attendee(booking_id=booking.id,
                                                   resident_id=booking.resident_id if remembered else None))
    if keep:
        session.execute(
            update(Booking)
            .where(Booking.id.in_(keep), Booking.status.in_(EXPECTED))
            .values(status=BookingStatus.SEEN.value, updated_at=utcnow())
            .execution_options(synchronize_session=False))


def workshop_bookings(session, help_session):
    """The bookings of a workshop's slot, for naming its participants when editing."""
    if help_session.slot_id is None or help_session.kind != SessionKind.WORKSHOP.value:
        return []
    return session.execute(
        select(Booking).where(Booking.slot_id == help_session.slot_id, Booking.status.in_(HOLDS_SEAT))
        .order_by(Booking.first_name, Booking.id)).scalars().all()


def change_history(session, help_session):
    """The audit events of the session, oldest first: who, when, which fields."""
    return session.execute(
        select(AuditEvent)
        .where(AuditEvent.target_type == "helpsession", AuditEvent.target_id == help_session.id)
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).scalars().all()


def recent_sessions(session, author, limit=50):
    """The facilitator's latest sessions, newest first, with what the list shows."""
    return session.execute(
        select(HelpSession).where(HelpSession.facilitator_id == author.id)
        .options(selectinload(HelpSession.topics))
        .order_by(HelpSession.day.desc(), HelpSession.start_time.desc(), HelpSession.id.desc())
        .limit(limit)
    ).scalars().all()


@dataclass(frozen=True)
class Entry:
    """A list entry kept in memory between requests: plain values, its label in both languages."""

    id: int
    slug: str
    label_fr: str
    label_en: str
    themes: tuple = ()  # a topic's national themes

    @property
    def label(self):
        return (self.label_en if current_language() == "en" else "") or self.label_fr

    name = label


def form_lists(session):
    """The active topics, needs, referral targets and communes, read at most every few seconds:
    every session form (GET and POST) needs them, and coordinators seldom change them."""

    def load():
        topics = tuple(Entry(t.id, t.slug, t.name_fr, t.name_en, tuple(t.national_themes or ()))
                       for t in active_topics(session))
        needs = tuple(Entry(n.id, "", n.label_fr, n.label_en) for n in active_needs(session))
        targets = tuple(Entry(r.id, "", r.label_fr, r.label_en) for r in active_referral_targets(session))
        communes = tuple(CommuneEntry(c.id, c.name, c.postal_code) for c in active_communes(session))
        return topics, needs, targets, communes

    return remember("desk_session_lists", str(session.get_bind().url), load)


@dataclass(frozen=True)
class CommuneEntry:
    id: int
    name: str
    postal_code: str

    @property
    def label(self):
        return f"{self.name} ({self.postal_code})"


def active_communes(session, keep_ids=()):
    """The communes the form offers: the active ones, and those an edited session or resident uses."""
    query = select(Commune).where(Commune.active.is_(True))
    keep_ids = [commune_id for commune_id in keep_ids if commune_id]
    if keep_ids:
        query = select(Commune).where((Commune.active.is_(True)) | (Commune.id.in_(keep_ids)))
    return session.execute(query.order_by(Commune.position, Commune.id)).scalars().all()


for _model in (Topic, Need, ReferralTarget, Commune):
    forget_when_flushed(_model, "desk_session_lists")


def active_referral_targets(session, keep_id=None):
    query = select(ReferralTarget).where(ReferralTarget.active.is_(True))
    if keep_id:
        query = select(ReferralTarget).where((ReferralTarget.active.is_(True)) | (ReferralTarget.id == keep_id))
    return session.execute(query.order_by(ReferralTarget.position, ReferralTarget.id)).scalars().all()


def active_needs(session, keep_ids=()):
    query = select(Need).where(Need.active.is_(True))
    if keep_ids:
        query = select(Need).where((Need.active.is_(True)) | (Need.id.in_(keep_ids)))
    return session.execute(query.order_by(Need.position, Need.id)).scalars().all()


def forget_notes(session, ids):
    """Remove the free-text notes of these sessions, which may name someone (retention, `privacy/`).

    Written round the models, so the per-day counts are counted again here for the sessions' days,
    in the same transaction (they do not read notes, but whatever changes sessions keeps them exact).
    """
    changed = session.execute(
        update(HelpSession).where(HelpSession.id.in_(ids), HelpSession.note.is_not(None))
        .values(note=None).execution_options(synchronize_session=False)).rowcount
    first, last = session.execute(select(func.min(HelpSession.day), func.max(HelpSession.day))
                                  .where(HelpSession.id.in_(ids))).one()
    if first is not None:
        daily_counts.refresh(session.connection(), first, last)
    return changed
