"""The add-to-calendar file and the QR code of a booking's secret link."""
from zoneinfo import ZoneInfo

import segno
from icalendar import Calendar, Event

from .codes import format_code


def booking_ics(booking, centre, link, tz_name, summary, description):
    """An iCalendar file with one event at the centre's local time, with its time zone."""
    tz = ZoneInfo(tz_name)
    calendar = Calendar()
    calendar.add("prodid", "-//tiers_lieu//booking//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"booking-{booking.id}-{booking.code}@tiers-lieu")
    event.add("dtstamp", booking.updated_at)
    event.add("dtstart", booking.slot.starts_at.astimezone(tz))
    event.add("dtend", booking.slot.ends_at.astimezone(tz))
    event.add("summary", summary)
    event.add("location", f"{booking.slot.location.name}, {centre.name}, {centre.postal_address}")
    event.add("description", f"{description}\n{format_code(booking.code)}\n{link}")
    event.add("url", link)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def qr_svg_data_uri(link):
    """The link as a QR code, inline, so that no other request carries the secret link."""
    return segno.make(link, error="m").svg_data_uri(scale=5, border=2, dark="#1b1b1f")
