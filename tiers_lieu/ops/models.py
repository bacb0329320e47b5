from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime
from ..extensions import db


class JobStatus(db.Model):
    """The last runs of one scheduled job (`ops/jobs.py`): one row per job, written by the job."""

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_success_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # What the last successful run did, as the job counts it ({"sent": 3, "failed": 0}).
    last_counts: Mapped[Optional[dict]] = mapped_column(JSON)
    last_failure_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The exception's class and message, cut short; jobs never put personal data in theirs.
    last_error: Mapped[Optional[str]] = mapped_column(String(300))
