"""How long the centre keeps each kind of personal data: one row of settings, set by coordinators."""
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# The defaults follow the CNIL's reference framework for social and medico-social support (2021)
# and its retention guide (2023): the active record is kept two years after the last contact. The
# shorter ones follow the national public-service booking tool (RDV Service Public), which anonymises
# receipts after 6 months and removes audit authorship after a year.
DEFAULT_RETENTION = {
    "resident_months": 24,
    "booking_months": 24,
    "callback_months": 6,
    "message_months": 3,
    "audit_author_months": 12,
}
# Beyond ten years nothing in a help desk's work needs the data; below a month the desk would lose
# bookings it still has to serve (a retention counts from the slot, the handling or the delivery).
RETENTION_RANGE = {
    "resident_months": (1, 120),
    "booking_months": (1, 120),
    "callback_months": (1, 120),
    "message_months": (1, 120),
    "audit_author_months": (1, 120),
}


class RetentionSettings(db.Model):
    """The retention of each kind of personal data, in months, and who answers data-protection questions.

    One row at most; until a coordinator saves the page, the defaults apply (`retention.current`).
    """

    __tablename__ = "retention_settings"
    __table_args__ = tuple(
        CheckConstraint(f"{name} BETWEEN {low} AND {high}", name=f"{name}_in_range")
        for name, (low, high) in RETENTION_RANGE.items())

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_months: Mapped[int] = mapped_column(default=DEFAULT_RETENTION["resident_months"])
    booking_months: Mapped[int] = mapped_column(default=DEFAULT_RETENTION["booking_months"])
    callback_months: Mapped[int] = mapped_column(default=DEFAULT_RETENTION["callback_months"])
    message_months: Mapped[int] = mapped_column(default=DEFAULT_RETENTION["message_months"])
    audit_author_months: Mapped[int] = mapped_column(default=DEFAULT_RETENTION["audit_author_months"])
    # An e-mail address, postal address or phone number residents may write to about their data
    # (the centre's own contact when empty).
    protection_contact: Mapped[str] = mapped_column(String(300), default="")
