"""Indexes the statistics need (migration 0007_stats_indexes), declared on the tables they serve.

They live here rather than in the desk's models because only the statistics' queries use them:
a facilitator's or a place's figures for a period, a resident's first visit ever, and the
named attendees of a period's sessions.
"""
from sqlalchemy import Index

from ..desk.models import Attendee, HelpSession

Index("ix_help_session_facilitator_id_day", HelpSession.facilitator_id, HelpSession.day)
Index("ix_help_session_location_id_day", HelpSession.location_id, HelpSession.day)
Index("ix_help_session_attendee_resident_id_session_id", Attendee.resident_id, Attendee.session_id)
# Covering: counting a period's named attendees, residents and bookings never reads the table.
Index("ix_help_session_attendee_session_id_people", Attendee.session_id, Attendee.resident_id, Attendee.booking_id)
