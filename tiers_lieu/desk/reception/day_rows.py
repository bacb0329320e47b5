"""The day view's appointments as the page shows them: what each line says and which buttons it gets.

The page lists every booking of the day with up to five buttons each: the rows are built once
here, with their texts and addresses, from the agenda's plain rows (`agenda.day_agenda`); the
buttons a booking gets are decided by its status rules (`BookingState.can_check_in`…).
"""
from dataclasses import dataclass
from typing import Optional

from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from ...booking.models import BookingStatus
from ...i18n import clock, language_name
from ...notify.board import CHANNEL_LABELS, KIND_LABELS


@dataclass(frozen=True)
class BookingRow:
    id: int
    first_name: str
    status: str
    status_label: str
    topic_name: str
    came_before: bool
    language: Optional[str]   # "arabe", when the resident's language is not the page's
    arrived_at: str           # "09:32", or "" before check-in
    note: Optional[str]
    centre_reason: Optional[str]   # why the centre cancelled, shown to staff
    # "The reminder by text message failed": the messages about it that nobody handled yet.
    failed_messages: tuple
    # The buttons the booking gets: an address each, None when its status does not allow it.
    check_in_url: Optional[str]     # today only
    no_show_url: Optional[str]
    log_url: Optional[str]
    cancel_url: Optional[str]
    resident_url: Optional[str]     # the resident's file, when the booking is linked to one
    link_url: Optional[str]         # else, to link it to a resident


@dataclass(frozen=True)
class SlotRow:
    id: int
    starts: str
    ends: str
    place: str
    workshop_title: Optional[str]
    workshop_url: Optional[str]     # to log the workshop, once someone booked it
    facilitator: Optional[str]
    topic_names: tuple
    seats: str                      # "3 seats, 2 taken"
    cancelled: bool
    bookings: tuple


def booking_row(booking, *, links, day_query, status_labels, topic_name, language_label, is_today, now,
                failed_messages=()):
    cancelled_by_centre = booking.status == BookingStatus.CANCELLED_BY_CENTRE.value
    return BookingRow(
        id=booking.id, first_name=booking.first_name, status=booking.status,
        status_label=status_labels[booking.status], topic_name=topic_name(booking.topic),
        came_before=booking.came_before, language=language_label(booking.language), arrived_at=clock(booking.checked_in_at), note=booking.note,
        centre_reason=booking.cancel_reason if cancelled_by_centre else None,
        failed_messages=failed_messages,
        check_in_url=links["arrived"](booking.id) if is_today and booking.can_check_in else None,
        no_show_url=links["no_show"](booking.id) if booking.can_mark_no_show(now) else None,
        log_url=links["log"](booking.id) if booking.can_log_session else None,
        cancel_url=links["cancel"](booking.id) + day_query if booking.can_cancel(now) else None,
        resident_url=links["resident"](booking.resident_id) if booking.resident_id else None,
        link_url=None if booking.resident_id else links["link_booking"](booking.id),
    )


def failure_texts(failures):
    """"Reminder (text message)" for each failed message of a booking."""
    return tuple(_("%(message)s (%(channel)s)", message=KIND_LABELS.get(kind, kind),
                   channel=CHANNEL_LABELS.get(channel, channel)) for kind, channel in failures)


def slot_rows(agenda, *, links, day_query, is_today, now, failures=None):
    """The agenda's slots and bookings as rows, in the agenda's order. `failures`: the failed
    messages of each booking nobody handled yet ({id: [(kind, channel)]}, `notify.board`)."""
    failures = failures or {}
    status_labels = {status.value: str(status.label) for status in BookingStatus}
    names, seats, languages = {}, {}, {}
    page_language = get_locale().language

    def topic_name(topic):
        # Each topic's name once, in the request's language: a few topics for sixty bookings.
        name = names.get(topic.id)
        if name is None:
            name = names[topic.id] = topic.name
        return name

    def language_label(code):
        # The staff see in which language to speak and write to the resident: said when it is not
        # the page's, once per language.
        if not code or code == page_language:
            return None
        label = languages.get(code)
        if label is None:
            label = languages[code] = language_name(code)
        return label

    def seats_text(slot):
        # Said once per count: a day's slots mostly have the same seats.
        key = slot.capacity, slot.seats_taken
        text = seats.get(key)
        if text is None:
            text = seats[key] = ngettext("%(num)d seat, %(taken)d taken", "%(num)d seats, %(taken)d taken",
                                         slot.capacity, taken=slot.seats_taken)
        return text

    return [
        SlotRow(
            id=slot.id, starts=clock(slot.starts_at), ends=clock(slot.ends_at), place=slot.place,
            workshop_title=slot.workshop_title,
            workshop_url=links["workshop"](slot.id) if slot.is_workshop and slot.bookings else None,
            facilitator=slot.facilitator, topic_names=tuple(topic_name(topic) for topic in slot.topics),
            seats=seats_text(slot), cancelled=slot.cancelled,
            bookings=tuple(booking_row(booking, links=links, day_query=day_query, status_labels=status_labels,
                                       topic_name=topic_name, language_label=language_label,
                                       is_today=is_today, now=now,
                                       failed_messages=failure_texts(failures.get(booking.id, ())))
                           for booking in slot.bookings),
        )
        for slot in agenda.slots
    ]
