"""`flask check`: whether this installation works, in an operator's words, one line per check.

Run it after installing, after each upgrade, and from a monitor (it exits with status 1 when a
check fails). It sends nothing and writes nothing: it reads the configuration, asks the database,
the rate-limit storage and the mail server whether they answer, and reads the scheduled jobs' last
runs and the newest backup. Development runs it too: it then says what does not hold there.

Each check is a plain function of the app returning `Result`s; no secret (SECRET_KEY, passwords,
tokens) is ever part of a result, and the command masks them again in case an error repeats one.
"""
import os
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..backup.copies import NAME as BACKUP_NAME
from ..backup.copies import kept
from ..database import utcnow
from ..extensions import db
from .jobs import job_states
from .settings import counts_per_process, is_example_address

BACKUP_MAX_AGE = timedelta(days=2)
# A key of random characters has many different ones; "changeme-changeme…" has eight.
SECRET_MIN_LENGTH, SECRET_MIN_DISTINCT = 32, 10
UPGRADE = "run `flask --app wsgi db upgrade`"


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str

    def line(self):
        return f"{'OK' if self.ok else 'FAIL':<4} {self.name}: {self.detail}"


def passed(name, detail):
    return Result(name, True, detail)


def failed(name, detail):
    return Result(name, False, detail)


def first_line(error):
    """An error's own words, first line only: a driver's message, without SQLAlchemy's
    statement and background link."""
    cause = getattr(error, "orig", None) or error
    words = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {words[0]}" if words else type(cause).__name__


def ago(delta):
    """A duration in the words of a log line: "4 minutes", "3 hours", "2 days"."""
    seconds = max(int(delta.total_seconds()), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def without_credentials(url):
    """A storage or gateway address as it may be printed: no user, password or query string."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"


# --- the database ---------------------------------------------------------------------------

def check_database(app):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    where = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).exists():
        # Connecting would create an empty file, and the check writes nothing.
        return failed("database", f"there is no SQLite database at {url.database}: `flask --app wsgi db upgrade` "
                                    "creates it")
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return failed("database", f"no answer from {where} ({first_line(error)})")
    return passed("database", f"reachable ({url.get_backend_name()}, {where})")


def check_migrations(app):
    """Compare the revision the database records with the head of the migration scripts."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    heads = set(script.get_heads())
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        return failed("migrations", f"not read: the database does not answer ({first_line(error)})")
    expected = ", ".join(sorted(heads))
    if current == heads:
        return passed("migrations", f"at {expected}, the latest")
    if not current:
        return failed("migrations", f"none applied to this database: {UPGRADE} (the code expects {expected})")
    known = {revision.revision for revision in script.walk_revisions()}
    now_at = ", ".join(sorted(current))
    if not current <= known:
        return failed("migrations", f"the database is at {now_at}, which this version of the code does not "
                                    f"know (a newer version ran on it?); the code expects {expected}")
    return failed("migrations", f"at {now_at}, the code expects {expected}: {UPGRADE}")


# --- the settings residents' safety depends on ----------------------------------------------

def check_secret_key(app):
    from config import DEV_SECRET_KEY

    secret = app.config.get("SECRET_KEY") or ""
    if not secret or secret == DEV_SECRET_KEY:
        return failed("secret key", "SECRET_KEY is the development value: set a random one, "
                                    "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'")
    if len(secret) < SECRET_MIN_LENGTH or len(set(secret)) < SECRET_MIN_DISTINCT:
        return failed("secret key", f"SECRET_KEY is too short or not random ({len(secret)} characters): set "
                                    "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'")
    return passed("secret key", f"random and long ({len(secret)} characters)")


def check_public_url(app):
    url = app.config.get("PUBLIC_URL")
    if not url:
        return failed("public address", "PUBLIC_URL is not set: links in messages would follow the "
                                        "request's address; set the https:// address residents use")
    if not url.startswith("https://"):
        return failed("public address", f"PUBLIC_URL is {url}: set the https:// address residents use")
    return passed("public address", url)


def check_cookies(app):
    if not app.config.get("SESSION_COOKIE_SECURE"):
        return failed("cookies", "SESSION_COOKIE_SECURE is off: session cookies would also travel over "
                                 "plain HTTP; set SESSION_COOKIE_SECURE=1 (production's default)")
    return passed("cookies", "Secure: sent over HTTPS only")


def check_rate_limits(app):
    uri = app.config.get("RATELIMIT_STORAGE_URI") or ""
    if counts_per_process(uri):
        if app.config.get("RATELIMIT_SINGLE_PROCESS"):
            return passed("rate limits", f"{uri or 'memory://'} in this process (a single process serves, "
                                         "RATELIMIT_SINGLE_PROCESS=1)")
        return failed("rate limits", f"{uri or 'memory://'} counts in each process: set RATELIMIT_STORAGE_URI "
                                     "to a shared storage such as redis://127.0.0.1:6379")
    where = without_credentials(uri)
    scheme = uri.split("://", 1)[0]
    if scheme in ("redis", "rediss"):
        import redis

        client = redis.Redis.from_url(uri, socket_connect_timeout=3, socket_timeout=3)
        try:
            client.ping()
        except redis.RedisError as error:
            return failed("rate limits", f"no answer from {where} ({type(error).__name__})")
        finally:
            client.close()
        return passed("rate limits", f"shared in {where}, which answers PING")
    # Sentinel, cluster, Memcached, MongoDB: the limits library's own health check.
    from limits.errors import ConfigurationError
    from limits.storage import storage_from_string

    try:
        answers = storage_from_string(uri, **app.config.get("RATELIMIT_STORAGE_OPTIONS", {})).check()
    except ConfigurationError as error:
        return failed("rate limits", f"{where} cannot be used ({first_line(error)})")
    if not answers:
        return failed("rate limits", f"no answer from {where}")
    return passed("rate limits", f"shared in {where}, which answers")


# --- messages -------------------------------------------------------------------------------

def check_mail_server(app):
    """Connect, EHLO, STARTTLS and log in as `flask notify send` would; send nothing."""
    config = app.config
    host, port = config.get("MAIL_SERVER"), config.get("MAIL_PORT")
    if not host:
        return failed("mail server", "MAIL_SERVER is not set: name the SMTP server that sends the e-mails")
    where = f"{host}:{port}"
    timeout = config.get("MAIL_TIMEOUT") or 10
    context = ssl.create_default_context()
    steps = []
    try:
        if config.get("MAIL_USE_SSL"):
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            steps.append("TLS")
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
    except (socket.timeout, TimeoutError):
        return failed("mail server", f"no answer from {where} (timeout after {timeout} s)")
    except ConnectionRefusedError:
        return failed("mail server", f"no answer from {where} (connection refused: nothing listens there)")
    except socket.gaierror:
        return failed("mail server", f"no answer from {where} (unknown host {host})")
    except ssl.SSLError as error:
        return failed("mail server", f"{where}: TLS failed ({first_line(error)}); check MAIL_USE_SSL and MAIL_PORT")
    except (smtplib.SMTPException, OSError) as error:
        return failed("mail server", f"no answer from {where} ({first_line(error)})")
    step = "EHLO"
    try:
        smtp.ehlo()
        steps.insert(0, "EHLO")
        if config.get("MAIL_USE_TLS"):
            step = "STARTTLS"
            smtp.starttls(context=context)
            smtp.ehlo()
            steps.append("STARTTLS")
        if config.get("MAIL_USERNAME"):
            step = "login"
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            steps.append("login accepted")
    except smtplib.SMTPNotSupportedError:
        return failed("mail server", f"{where} does not offer {step} (check MAIL_USE_TLS, MAIL_USE_SSL, MAIL_PORT "
                                     "and MAIL_USERNAME)")
    except smtplib.SMTPAuthenticationError as error:
        return failed("mail server", f"{where} refused the login of MAIL_USERNAME ({error.smtp_code}): "
                                     "check MAIL_USERNAME and MAIL_PASSWORD")
    except ssl.SSLError as error:
        return failed("mail server", f"{where}: TLS failed ({first_line(error)})")
    except (socket.timeout, TimeoutError):
        return failed("mail server", f"{where} stopped answering at {step} (timeout after {timeout} s)")
    except (smtplib.SMTPException, OSError) as error:
        return failed("mail server", f"{where} answered, then {first_line(error)}")
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    return passed("mail server", f"{where} answered: {', '.join(steps)}; nothing sent")


def check_mail_sender(app):
    sender = app.config.get("MAIL_DEFAULT_SENDER")
    if is_example_address(sender):
        return failed("mail sender", f"MAIL_DEFAULT_SENDER is {sender or 'not set'}: set the centre's own address")
    return passed("mail sender", sender)


def check_sms(app):
    """The SMS settings only: nothing is sent to the gateway."""
    from ..notify.channels import sms_enabled
    from ..notify.sms import sms_setting_problem

    config = app.config
    if not sms_enabled(config):
        return passed("text messages", "switched off (SMS_PROVIDER=none): residents are offered e-mails and calls")
    problem = sms_setting_problem(config, production=True)
    if problem:
        return failed("text messages", problem)
    if not config.get("SMS_HTTP_TOKEN"):
        return failed("text messages", "SMS_HTTP_TOKEN is not set: the gateway would refuse every text")
    return passed("text messages", f"sent to the HTTP gateway {without_credentials(config['SMS_HTTP_URL'])} "
                                   "(token set; not contacted)")


# --- scheduled jobs and backups -------------------------------------------------------------

def check_jobs(app, now):
    """One result per scheduled job: failing, late or never run fails, with the command to run."""
    try:
        states = job_states(db.session, now)
    except SQLAlchemyError as error:
        # A database behind the code's migrations has no table of the jobs' runs yet.
        db.session.rollback()
        return [failed("jobs", f"not read ({first_line(error)}): {UPGRADE} first")]
    results = []
    for state in states:
        job = state.job
        name, command = f"job {job.name}", f"`flask --app wsgi {job.command}`"
        if state.last_success_at is None and state.last_failure_at is None:
            if state.last_started_at is not None:
                results.append(failed(name, f"started {ago(now - state.last_started_at)} ago and never finished: "
                                            f"run {command} and read what it prints"))
            else:
                results.append(failed(name, f"never run on this database: run {command}, and install its "
                                            f"timer ({job.schedule})"))
        elif state.failing:
            results.append(failed(name, f"last run failed {ago(now - state.last_failure_at)} ago "
                                        f"({state.last_error}): run {command} and read what it prints"))
        elif state.late:
            results.append(failed(name, f"late: last success {ago(now - state.last_success_at)} ago, "
                                        f"expected {job.schedule}: check its timer, or run {command}"))
        else:
            counts = ", ".join(f"{key} {value}" for key, value in (state.last_counts or {}).items())
            results.append(passed(name, f"last success {ago(now - state.last_success_at)} ago"
                                        + (f" ({counts})" if counts else "")))
    return results


def check_backup(app, now):
    folder = Path(app.config["BACKUP_DIR"])
    copies = kept(folder)
    if not copies:
        return failed("backup", f"no copy in {folder} yet: run `flask --app wsgi backup create`, and install "
                                "its nightly timer")
    newest = copies[-1]
    taken = datetime.strptime(BACKUP_NAME.match(newest.name).group(1), "%Y%m%d-%H%M%S").replace(tzinfo=timezone.utc)
    age, size = now - taken, newest.stat().st_size
    if size == 0:
        return failed("backup", f"the newest copy, {newest}, is empty: run `flask --app wsgi backup create`")
    if age > BACKUP_MAX_AGE:
        return failed("backup", f"the newest copy, {newest}, is {ago(age)} old: check the nightly "
                                "`flask --app wsgi backup create`")
    return passed("backup", f"{newest}, {ago(age)} old, {size:,} bytes")


def run_checks(app, now=None):
    """Every check, in the order an operator reads them; a check that fails does not stop the next."""
    now = now or utcnow()
    results = [check(app) for check in (check_database, check_migrations, check_secret_key, check_public_url,
                                        check_cookies, check_rate_limits, check_mail_server, check_mail_sender,
                                        check_sms)]
    if results[0].ok:
        results += check_jobs(app, now)
    else:
        results.append(failed("jobs", "not read: the database does not answer"))
    results.append(check_backup(app, now))
    return results


def secrets_of(config):
    """The settings' secrets, to be masked wherever a message might repeat one."""
    values = [config.get(name) for name in ("SECRET_KEY", "MAIL_PASSWORD", "SMS_HTTP_TOKEN")]
    values.append(make_url(config["SQLALCHEMY_DATABASE_URI"]).password)
    for name in ("RATELIMIT_STORAGE_URI", "SMS_HTTP_URL"):
        parts = urlsplit(config.get(name) or "")
        values += [parts.password, parts.query]
    return [value for value in values if value and len(value) >= 4]


def masked(line, secrets):
    for secret in secrets:
        line = line.replace(secret, "***")
    return line


@click.command("check")
@with_appcontext
def check_command():
    """Check this installation: database, settings, mail, SMS, jobs, backups; status 1 if any fails."""
    app = current_app._get_current_object()
    # libpq waits for an unreachable PostgreSQL host as long as the system does (minutes): a monitor
    # would see a hung check rather than a failed one.
    os.environ.setdefault("PGCONNECT_TIMEOUT", "10")
    results = run_checks(app)
    secrets = secrets_of(app.config)
    for result in results:
        click.echo(masked(result.line(), secrets))
    failures = sum(not result.ok for result in results)
    click.echo(f"Passed {len(results) - failures}, failed {failures}." if failures
               else f"All {len(results)} checks passed.")
    if failures:
        raise click.exceptions.Exit(1)
