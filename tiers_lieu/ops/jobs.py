"""The scheduled jobs: one list, from which the deployment kit's timers and cron file are written
(`flask ops kit`), and against which each job's last runs are checked.

Each job records its runs in `JobStatus` (`recorded_job`): when it started, when it last
succeeded and what it counted, when it last failed and why. A job is *late* when its last success
is older than it allows; the desk and the admin home then warn the staff, `/healthz/jobs` and
`flask check` say which. A job that was never run on this database is late too: on a server, a
job that never ran is a timer nobody installed.
"""
import functools
import logging
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ..database import utcnow
from ..extensions import db
from ..logs import redact
from .models import JobStatus

log = logging.getLogger(__name__)
ERROR_LENGTH = 300


@dataclass(frozen=True)
class Job:
    name: str
    # The `flask --app wsgi …` words.
    command: str
    # When it runs, for systemd (OnCalendar, in the centre's time zone) and for cron.
    on_calendar: str
    cron: str
    # Late when the last success is older than this; None: never late (a yearly job).
    late_after: timedelta | None
    # What the staff read when it is late: what stopped happening.
    late_warning: str
    # The README's words for when it runs.
    schedule: str


JOBS = (
    Job("notify-send", "notify send", "*-*-* *:*:00", "* * * * *", timedelta(minutes=10),
        _l("Messages to residents (confirmations, reminders) are not going out."), "every minute"),
    Job("notify-reminders", "notify reminders", "*-*-* 17:00:00", "0 17 * * *", timedelta(hours=26),
        _l("Yesterday's reminders for the next day's appointments were not queued."),
        "every day at 17:00"),
    Job("slots-generate", "slots generate", "*-*-* 01:30:00", "30 1 * * *", timedelta(days=2),
        _l("New slots have not been opened for booking for two days."), "every night at 01:30"),
    Job("privacy-purge", "privacy purge", "*-*-* 02:00:00", "0 2 * * *", timedelta(days=2),
        _l("Old personal data has not been purged for two days."), "every night at 02:00"),
    Job("backup-create", "backup create", "*-*-* 02:30:00", "30 2 * * *", timedelta(days=2),
        _l("No backup of the database for two days."), "every night at 02:30"),
    Job("slots-holidays", "slots holidays", "*-01-02 03:00:00", "0 3 2 1 *", None,
        _l("The year's public holidays were not added as closures."), "each January"),
)
BY_NAME = {job.name: job for job in JOBS}


@dataclass(frozen=True)
class JobState:
    job: Job
    last_started_at: object = None
    last_success_at: object = None
    last_counts: dict | None = None
    last_failure_at: object = None
    last_error: str | None = None
    late: bool = False

    @property
    def failing(self):
        """The last run that ended failed (a success since clears it)."""
        return self.last_failure_at is not None and (
            self.last_success_at is None or self.last_failure_at > self.last_success_at)

    def as_json(self):
        def instant(value):
            return value.isoformat() if value else None

        return {"job": self.job.name, "command": f"flask --app wsgi {self.job.command}",
                "schedule": self.job.cron,
                "late_after_seconds": int(self.job.late_after.total_seconds()) if self.job.late_after else None,
                "late": self.late, "failing": self.failing,
                "last_started_at": instant(self.last_started_at),
                "last_success_at": instant(self.last_success_at), "last_counts": self.last_counts,
                "last_failure_at": instant(self.last_failure_at), "last_error": self.last_error}


def job_states(session, now=None):
    """Every job of the list with its last runs, and whether it is late at `now`."""
    now = now or utcnow()
    rows = {row.name: row for row in session.execute(select(JobStatus)).scalars()}
    states = []
    for job in JOBS:
        row = rows.get(job.name)
        success = row.last_success_at if row else None
        late = job.late_after is not None and (success is None or now - success > job.late_after)
        states.append(JobState(
            job, late=late, **({} if row is None else dict(
                last_started_at=row.last_started_at, last_success_at=success,
                last_counts=row.last_counts, last_failure_at=row.last_failure_at,
                last_error=row.last_error))))
    return states


def late_jobs(session, now=None):
    return [state for state in job_states(session, now) if state.late]


def record(session, name, **values):
    """Write these columns of the job's row, creating it on its first run; its own transaction."""
    if name not in BY_NAME:
        raise ValueError(f"unknown job {name!r}")
    statement = update(JobStatus).where(JobStatus.name == name).values(**values)
    if session.execute(statement).rowcount == 0:
        try:
            with session.begin_nested():
                session.execute(insert(JobStatus).values(name=name, **values))
        except IntegrityError:  # another run of the job created it meanwhile
            session.execute(statement)
    session.commit()


def recorded_job(name):
    """Decorate a job's command so that its runs are recorded. The command returns its counts (a
    dict of numbers, or None); an exception is recorded as a failure, never as a success, and
    goes on to the caller (cron and systemd see the command fail). A `dry_run` changes nothing,
    so it is not recorded."""
    def decorate(command):
        @functools.wraps(command)
        def run(*args, **kwargs):
            if kwargs.get("dry_run"):
                command(*args, **kwargs)
                return None
            session = db.session
            record(session, name, last_started_at=utcnow())
            try:
                counts = command(*args, **kwargs)
            except BaseException as error:
                session.rollback()
                # Shown to staff and monitors (/healthz/jobs): masked like a log line.
                cause = redact(f"{type(error).__name__}: {error}")[:ERROR_LENGTH]
                record(session, name, last_failure_at=utcnow(), last_error=cause)
                log.warning("job %s failed: %s", name, cause)
                raise
            record(session, name, last_success_at=utcnow(), last_counts=counts)
            return None
        return run
    return decorate
