"""A resident's rights at the desk: what the centre holds about a person (access) and erasing it.

A person is found from their resident record, or from a phone number or an e-mail address for
people who only ever booked online. What is held about them is gathered in a fixed number of
statements whatever their history (seven, plus two for the sessions' topics and needs), and
erasing it is one transaction: their upcoming appointments are cancelled (seats freed, no message
sent), then every row that names them is anonymised by its owner module, as the retention purge
does, so that the statistics keep their counts. Both are written to the audit trail with counts,
never values.
"""
from dataclasses import dataclass, field

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import joinedload, selectinload

from .. import audit
from ..audit import AuditEvent
from ..booking import callbacks, reservations
from ..booking.contact import normalise_email, normalise_phone
from ..booking.models import Booking, CallbackRequest, Slot
from ..desk.models import Attendee, HelpSession, NationalTheme, QueueTicket, Resident
from ..desk.reception import queue
from ..desk.residents import directory
from ..desk.sessions import log as session_log
from ..notify import service as outbox
from ..notify.models import OutboxMessage


@dataclass
class Person:
    """Who a request is about: resident records, and the phone numbers and e-mail addresses they used."""

    residents: list = field(default_factory=list)
    phones: set = field(default_factory=set)
    emails: set = field(default_factory=set)

    @property
    def resident_ids(self):
        return [resident.id for resident in self.residents]


@dataclass
class Holdings:
    """Everything the centre holds about a person, each kind as rows loaded with what they show."""

    person: Person
    bookings: list
    callbacks: list
    sessions: list
    messages: list
    tickets: list
    audit_entries: list

    @property
    def language(self):
        """The language to give it to them in: their record's, else that of their latest booking or
        call-back request, else French."""
        chosen = [resident.language for resident in self.person.residents]
        chosen += [booking.language for booking in self.bookings] + [request.language for request in self.callbacks]
        return next((language for language in chosen if language), "fr")

    @property
    def empty(self):
        return not (self.person.residents or self.bookings or self.callbacks or self.sessions or self.messages
                    or self.tickets)

    def counts(self):
        """How many of each kind: what the audit trail records of an access or an erasure."""
        return {"residents": len(self.person.residents), "bookings": len(self.bookings),
                "callbacks": len(self.callbacks), "sessions": len(self.sessions), "messages": len(self.messages),
                "tickets": len(self.tickets)}


def contact_of(text):
    """(phone, e-mail) from what staff typed: one of them, normalised, or (None, None) if neither."""
    text = (text or "").strip()
    if "@" in text:
        return None, normalise_email(text)
    return normalise_phone(text), None


def find(session, resident_id=None, phone=None, email=None):
    """The person of a resident record, or of a phone number or e-mail address; None when the record
    does not exist or was already anonymised. A contact finds the records that use it, and a record
    brings its own phone and e-mail along."""
    person = Person(phones={phone} - {None}, emails={email} - {None})
    if resident_id is not None:
        resident = session.get(Resident, resident_id)
        if resident is None or resident.anonymised_at is not None:
            return None
        person.residents.append(resident)
    if person.phones or person.emails:
        person.residents += session.scalars(
            select(Resident).where(Resident.anonymised_at.is_(None), Resident.id.not_in(person.resident_ids),
                                   or_(_in(Resident.phone, person.phones), _in(Resident.email, person.emails)))
            .order_by(Resident.id)).all()
    for resident in person.residents:
        person.phones |= {resident.phone} - {None}
        person.emails |= {resident.email} - {None}
    if not (person.residents or person.phones or person.emails):
        return None
    return person


def _in(column, values):
    return column.in_(sorted(values)) if values else false()


def gather(session, person):
    """Everything held about the person (`Holdings`), in a fixed number of statements."""
    residents = person.resident_ids
    theirs = or_(_in(Booking.resident_id, residents), _in(Booking.phone, person.phones),
                 _in(Booking.email, person.emails))
    booking_ids = select(Booking.id).where(theirs, Booking.anonymised_at.is_(None)).scalar_subquery()
    bookings = session.scalars(
        select(Booking).join(Slot, Slot.id == Booking.slot_id).where(theirs, Booking.anonymised_at.is_(None))
        .options(joinedload(Booking.slot).joinedload(Slot.location), joinedload(Booking.topic))
        .order_by(Slot.starts_at.desc(), Booking.id)).unique().all()
    found_callbacks = session.scalars(
        select(CallbackRequest).where(or_(_in(CallbackRequest.phone, person.phones),
                                          _in(CallbackRequest.email, person.emails)),
                                      CallbackRequest.anonymised_at.is_(None))
        .options(joinedload(CallbackRequest.topic)).order_by(CallbackRequest.created_at.desc())).all()
    named = select(Attendee.session_id).where(or_(_in(Attendee.resident_id, residents),
                                                  Attendee.booking_id.in_(booking_ids)))
    sessions = session.scalars(
        select(HelpSession).where(HelpSession.id.in_(named))
        .options(joinedload(HelpSession.facilitator), joinedload(HelpSession.location),
                 joinedload(HelpSession.referral_target), selectinload(HelpSession.topics),
                 selectinload(HelpSession.needs), selectinload(HelpSession.theme_rows),
                 joinedload(HelpSession.commune))
        .order_by(HelpSession.day.desc(), HelpSession.id.desc())).unique().all()
    messages = session.scalars(
        select(OutboxMessage).where(OutboxMessage.anonymised_at.is_(None),
                                    or_(_in(OutboxMessage.recipient, person.phones | person.emails),
                                        OutboxMessage.booking_id.in_(booking_ids)))
        .order_by(OutboxMessage.created_at.desc())).all()
    tickets = session.scalars(
        select(QueueTicket).where(or_(_in(QueueTicket.resident_id, residents), QueueTicket.booking_id.in_(booking_ids)))
        .order_by(QueueTicket.issued_at.desc())).all()
    about = or_(and_(AuditEvent.target_type == "resident", _in(AuditEvent.target_id, set(residents))),
                and_(AuditEvent.target_type == "booking", AuditEvent.target_id.in_(booking_ids)))
    entries = session.scalars(select(AuditEvent).where(about).options(joinedload(AuditEvent.actor))
                              .order_by(AuditEvent.at.desc())).all()
    return Holdings(person=person, bookings=bookings, callbacks=found_callbacks, sessions=sessions,
                    messages=messages, tickets=tickets, audit_entries=entries)


def record_access(session, holdings, actor, download=False):
    """Write to the audit trail that a person was shown, or given as a file, what the centre holds
    about them; counts only."""
    audit.record("privacy.download" if download else "privacy.access", _target(holdings.person), actor=actor,
                 **holdings.counts())
    session.commit()


@dataclass(frozen=True)
class Erasure:
    counts: dict
    cancelled: list   # the ids of the upcoming bookings cancelled


def erase(session, holdings, actor, now):
    """Erase everything that names the person of these `Holdings` (just gathered), in one
    transaction; return what was done (`Erasure`).

    Upcoming bookings are cancelled first (seats freed, no message), then bookings, call-back
    requests, messages (a message not sent yet is withdrawn), the notes of the sessions naming them,
    their walk-in tickets' first names and their records are anonymised. The statistics keep their
    counts: statuses, dates, topics and the sessions' link to an (anonymous) record stay.
    """
    person = holdings.person
    target = _target(person)
    booking_ids = [booking.id for booking in holdings.bookings]
    cancelled = reservations.cancel_for_erasure(session, booking_ids, now)
    reservations.anonymise(session, booking_ids, now)
    callbacks.anonymise(session, [request.id for request in holdings.callbacks], now)
    outbox.anonymise(session, [message.id for message in holdings.messages], now)
    session_log.forget_notes(session, [help_session.id for help_session in holdings.sessions])
    queue.forget_names(session, [ticket.id for ticket in holdings.tickets])
    directory.anonymise(session, person.resident_ids, now)
    counts = holdings.counts()
    audit.record("privacy.erasure", target, actor=actor, cancelled=len(cancelled), **counts)
    session.commit()
    return Erasure(counts=counts, cancelled=cancelled)


class Contact:
    """The audit trail's target for a person found by phone or e-mail alone: no id, no value."""

    id = None


def _target(person):
    return person.residents[0] if len(person.residents) == 1 else Contact()


def commune_of(row):
    """A resident's or a session's commune as the person reads it: its name and codes, or the
    postal code of a commune outside the centre's list."""
    if row.commune is not None:
        return {"name": row.commune.name, "postal_code": row.commune.postal_code,
                "insee_code": row.commune.insee_code}
    if row.other_postal_code:
        return {"postal_code": row.other_postal_code}
    return None


def as_data(holdings):
    """What is held, as plain data for the JSON file given to the person: every stored field that is
    about them, with names instead of ids."""
    return {
        "residents": [{
            "first_name": r.first_name, "last_name": r.last_name, "phone": r.phone, "email": r.email,
            "neighbourhood": r.neighbourhood, "commune": commune_of(r), "language": r.language,
            "birth_year": r.birth_year,
            "age_bracket": r.age_bracket, "recorded_at": r.created_at, "updated_at": r.updated_at,
            "remembered_since": r.remember_consent_at,
        } for r in holdings.person.residents],
        "appointments": [{
            "code": b.code, "starts_at": b.slot.starts_at, "ends_at": b.slot.ends_at, "topic": b.topic.name,
            "place": b.slot.location.name if b.slot.location else None, "status": b.status,
            "first_name": b.first_name, "phone": b.phone, "email": b.email, "note": b.note,
            "language": b.language, "reminder_consent": b.reminder_consent, "booked_at": b.created_at,
            "cancelled_at": b.cancelled_at, "checked_in_at": b.checked_in_at,
        } for b in holdings.bookings],
        "callback_requests": [{
            "topic": c.topic.name, "first_name": c.first_name, "phone": c.phone, "moments": c.moments,
            "message": c.moments_note, "language": c.language, "received_at": c.created_at,
            "handled_at": c.handled_at,
        } for c in holdings.callbacks],
        "help_sessions": [{
            "day": s.day, "kind": s.kind, "duration_minutes": s.duration_minutes,
            "topics": [topic.name for topic in s.topics], "procedure": s.procedure_name,
            "outcome": s.outcome, "autonomy": s.autonomy, "needs": [need.label for need in s.needs],
            "referred_to": s.referral_target.label if s.referral_target else None, "note": s.note,
            "facilitator": s.facilitator.display_name if s.facilitator else None,
            "place": s.location.name if s.location else None,
            "national_themes": [NationalTheme.label_of(theme) for theme in s.themes],
            "commune": commune_of(s), "gender": s.gender,
        } for s in holdings.sessions],
        "messages": [{
            "channel": m.channel, "kind": m.kind, "recipient": m.recipient, "subject": m.subject, "text": m.body,
            "status": m.status, "queued_at": m.created_at, "sent_at": m.sent_at,
        } for m in holdings.messages],
        "walk_in_tickets": [{
            "day": t.day, "number": t.number, "first_name": t.first_name, "issued_at": t.issued_at,
        } for t in holdings.tickets],
        "audit_trail": [{
            "at": e.at, "action": e.action, "by": e.actor.display_name if e.actor else None,
        } for e in holdings.audit_entries],
    }
