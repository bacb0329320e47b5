"""Reminders the day before, for residents who asked for one."""
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import messages
from .models import Booking, BookingStatus, Slot


def queue_reminders(session, day, tz):
    """Queue a reminder for every active booking of that local day whose resident consented.

    Running it again the same day queues nothing twice (the outbox deduplicates on booking and
    slot, so a booking moved to another day gets a reminder for its new day). A resident reached by
    phone alone gets none once text messages are switched off (SMS_PROVIDER=none): not counted.
    """
    start = datetime.combine(day, time(), tz)
    bookings = session.execute(
        select(Booking)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.status == BookingStatus.BOOKED.value, Booking.reminder_consent.is_(True),
               Slot.starts_at >= start, Slot.starts_at < start + timedelta(days=1))
        .options(selectinload(Booking.slot).selectinload(Slot.location), selectinload(Booking.topic))
    ).scalars().all()
    queued = [messages.queue_for(session, booking, messages.Kind.REMINDER) for booking in bookings]
    session.commit()
    return sum(message is not None for message in queued)
