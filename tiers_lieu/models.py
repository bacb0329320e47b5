"""Import every domain's models so that SQLAlchemy and Alembic know the whole schema."""
from .accounts.models import PasswordReset, RecoveryCode, StaffSession, User  # noqa: F401
from .core.centre import Centre  # noqa: F401
from .audit import AuditEvent  # noqa: F401
from .booking.models import (Booking, BookingRules, CallbackRequest, Closure, Location, SeatOffer,  # noqa: F401
                             OpeningRule, Procedure, Slot, Topic)
from .privacy.models import RetentionSettings  # noqa: F401
from .notify.models import DeliveryAttempt, OutboxMessage  # noqa: F401
from .ops.models import JobStatus  # noqa: F401
from .desk.models import (Attendee, HelpSession, Need, QueueTicket, ReferralTarget,  # noqa: F401
                          Resident)
from .stats import indexes  # noqa: F401  (the statistics' indexes on desk and booking tables)
from .stats.daily_counts import SessionDayCount  # noqa: F401
