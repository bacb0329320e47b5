"""Indexes the statistics need (migrations 0007_stats_indexes and 0008_stats_session_day),
declared on the tables they serve.

They live here rather than in the desk's and the booking's models because only the statistics'
queries use them: a facilitator's or a place's figures for a period, a resident's first visit
ever, the named attendees of a period's sessions, and covering indexes that let a year's
sessions, slots and tickets be counted without reading the tables' rows.
"""
from sqlalchemy import Index

from ..booking.models import Slot
from ..desk.models import Attendee, HelpSession, QueueTicket

Index("ix_help_session_facilitator_id_day", HelpSession.facilitator_id, HelpSession.day)
Index("ix_help_session_location_id_day", HelpSession.location_id, HelpSession.day)
Index("ix_help_session_attendee_resident_id_session_id", Attendee.resident_id, Attendee.session_id)
# Covering: counting a period's named attendees, residents and bookings never reads the table.
Index("ix_help_session_attendee_session_id_people", Attendee.session_id, Attendee.resident_id, Attendee.booking_id)
# Covering: the autonomy levels and first visits of a period's sessions, the seats, hours and
# bookings of a period's slots, and the waiting times of a period's tickets.
Index("ix_help_session_day_first_visit_autonomy", HelpSession.day, HelpSession.first_visit, HelpSession.autonomy)
Index("ix_slot_starts_at_cancelled_capacity_ends_at", Slot.starts_at, Slot.cancelled, Slot.capacity, Slot.ends_at)
Index("ix_queue_ticket_day_called_at_issued_at", QueueTicket.day, QueueTicket.called_at, QueueTicket.issued_at)
