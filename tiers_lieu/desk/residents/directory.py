"""Residents found at the desk: tolerant search, creation, consent to be remembered, history.

A resident's history (bookings, sessions, needs, autonomy) is shown only while they agree to be
remembered; withdrawing the consent also unlinks them from the sessions already logged, which
become anonymous.
"""
import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import selectinload

from ... import audit
from ...booking.contact import normalise_email, normalise_phone
from ...booking.models import Booking, Slot
from ...database import utcnow
from ..models import Attendee, Autonomy, HelpSession, Resident, search_key

SEARCH_LIMIT = 30
# Digits written any way ("06 12 34 56 78", "+33 6…", "56.78"): a phone number or its end.
PHONE_LIKE = re.compile(r"^[\d\s.+()/-]+$")
# The fewest last digits that search by phone: fewer would match too many people.
PHONE_END_DIGITS = 4
CONTACT_FIELDS = ("first_name", "last_name", "phone", "email", "neighbourhood", "language", "birth_year",
                  "age_bracket", "commune_id", "other_postal_code")


def search(session, text, limit=SEARCH_LIMIT):
    """Residents whose name, phone number or e-mail matches `text`, ignoring accents, case,
    spaces and hyphens; a phone number matches however it is written."""
    text = (text or "").strip()[:120]
    if not text:
        return []
    conditions = []
    if PHONE_LIKE.match(text):
        phone = normalise_phone(text)
        digits = "".join(ch for ch in text if ch.isdigit())
        if phone:
            conditions.append(Resident.phone == phone)
        elif len(digits) >= PHONE_END_DIGITS:
            # The end of a number, as people read it out ("… 56 78"): stored numbers are E.164, so
            # a national number's leading 0 is not part of their end.
            end = digits[1:] if digits.startswith("0") and len(digits) >= 9 else digits
            conditions.append(Resident.phone.like(f"%{end}"))
    elif "@" in text:
        conditions.append(Resident.email == normalise_email(text))
    else:
        keys = [search_key(word) for word in re.split(r"[\s,]+", text)]
        keys = [key for key in keys if key]
        if keys:
            conditions.append(and_(*(Resident.name_key.contains(key, autoescape=True) for key in keys)))
    if not conditions:
        return []
    return session.execute(
        select(Resident).where(or_(*conditions)).order_by(Resident.name_key, Resident.id).limit(limit)
    ).scalars().all()


def set_contact(resident, values):
    """Copy the contact fields (already normalised) onto the resident and refresh its search key;
    return the names of the fields that changed."""
    changed = []
    for name in CONTACT_FIELDS:
        if name in values and getattr(resident, name) != values[name]:
            setattr(resident, name, values[name])
            changed.append(name)
    resident.refresh_name_key()
    return changed


def create(session, values, by, booking=None, ticket=None):
    """Record a new resident, linked to the booking or ticket they came with; commit it all at
    once and return the resident."""
    resident = Resident()
    set_contact(resident, values)
    session.add(resident)
    session.flush()
    audit.record("resident.created", resident, actor=by)
    if booking is not None:
        _link_booking(booking, resident, by)
    if ticket is not None:
        _link_ticket(ticket, resident, by)
    session.commit()
    return resident


def update_contact(session, resident, values, by):
    changed = set_contact(resident, values)
    if changed:
        audit.record("resident.updated", resident, actor=by, fields=changed)
    session.commit()
    return changed


def give_consent(session, resident, by):
    """The resident agrees to be remembered: keep the date and who took the consent."""
    if resident.remembered:
        return False
    resident.remember_consent_at = utcnow()
    resident.remember_consent_by_id = by.id
    audit.record("resident.consent_given", resident, actor=by)
    session.commit()
    return True


def withdraw_consent(session, resident, by):
    """Forget the resident's history: sessions already logged become anonymous."""
    if not resident.remembered:
        return False
    resident.remember_consent_at = None
    resident.remember_consent_by_id = None
    unlinked = session.execute(
        update(Attendee).where(Attendee.resident_id == resident.id).values(resident_id=None)
        .execution_options(synchronize_session=False)).rowcount
    audit.record("resident.consent_withdrawn", resident, actor=by, sessions_unlinked=unlinked)
    session.commit()
    return True


def record_view(session, resident, by):
    """Every look at a resident's page is in the audit trail."""
    audit.record("resident.viewed", resident, actor=by)
    session.commit()


def link_booking(session, booking, resident, by):
    """Link the booking to the resident it is for (found at the desk); commit."""
    _link_booking(booking, resident, by)
    session.commit()


def _link_booking(booking, resident, by):
    booking.resident_id = resident.id
    audit.record("booking.resident_linked", booking, actor=by, resident_id=resident.id)


def link_ticket(session, ticket, resident, by):
    """Link a walk-in's ticket to the resident who holds it (their session can then be
    remembered); commit."""
    _link_ticket(ticket, resident, by)
    session.commit()


def _link_ticket(ticket, resident, by):
    ticket.resident_id = resident.id
    audit.record("ticket.resident_linked", ticket, actor=by, resident_id=resident.id)


@dataclass
class History:
    upcoming: list = field(default_factory=list)
    past: list = field(default_factory=list)
    sessions: list = field(default_factory=list)
    needs: list = field(default_factory=list)       # [(need, times noticed)], most frequent first
    autonomy: list = field(default_factory=list)    # [(day, Autonomy)], oldest first


def history(session, resident, now=None):
    """The resident's bookings and sessions; empty unless they agreed to be remembered."""
    if not resident.remembered:
        return History()
    now = now or utcnow()
    bookings = session.execute(
        select(Booking).join(Slot, Booking.slot_id == Slot.id).where(Booking.resident_id == resident.id)
        .options(selectinload(Booking.slot).selectinload(Slot.location), selectinload(Booking.topic))
        .order_by(Slot.starts_at.desc())
    ).scalars().all()
    sessions = session.execute(
        select(HelpSession).join(Attendee, Attendee.session_id == HelpSession.id)
        .where(Attendee.resident_id == resident.id)
        .options(selectinload(HelpSession.topics), selectinload(HelpSession.needs),
                 selectinload(HelpSession.facilitator))
        .order_by(HelpSession.day.desc(), HelpSession.start_time.desc(), HelpSession.id.desc())
        .distinct()
    ).scalars().all()
    counts = Counter()
    needs = {}
    for help_session in sessions:
        for need in help_session.needs:
            counts[need.id] += 1
            needs[need.id] = need
    autonomy = [(s.day, Autonomy(s.autonomy)) for s in reversed(sessions) if s.autonomy in Autonomy._value2member_map_]
    return History(
        upcoming=sorted((b for b in bookings if b.slot.starts_at > now), key=lambda b: b.slot.starts_at),
        past=[b for b in bookings if b.slot.starts_at <= now],
        sessions=sessions,
        needs=[(needs[need_id], times) for need_id, times in counts.most_common()],
        autonomy=autonomy,
    )


def last_booking(session, resident):
    """The resident's latest booking, whose topic a follow-up most likely shares."""
    return session.execute(
        select(Booking).join(Slot, Booking.slot_id == Slot.id).where(Booking.resident_id == resident.id)
        .order_by(Slot.starts_at.desc()).limit(1)
    ).scalar()


def contact_of(resident=None, booking=None, callback=None):
    """First name, phone, e-mail and language to prefill a booking made for someone."""
    source = resident or booking or callback
    if source is None:
        return {}
    return {"first_name": source.first_name, "phone": source.phone, "email": getattr(source, "email", None),
            "language": source.language}


def anonymise(session, ids, now):
    """Empty everything that names or reaches these residents (retention and erasure, `privacy/`). The
    row stays, so that the statistics still count each person once among the people helped. Returns
    how many were anonymised now."""
    return session.execute(
        update(Resident).where(Resident.id.in_(ids), Resident.anonymised_at.is_(None))
        .values(first_name="", last_name=None, phone=None, email=None, neighbourhood=None, birth_year=None,
                commune_id=None, other_postal_code=None, name_key="", remember_consent_at=None, remember_consent_by_id=None, anonymised_at=now)
        .execution_options(synchronize_session=False)).rowcount
