"""`flask check`: one line per check an operator can act on, status 1 when anything fails, and never a
secret in what it prints; against a real SMTP server, Redis, both databases and real backups."""
import secrets
import sqlite3
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask_migrate import upgrade

from config import TestConfig
from tiers_lieu import create_app
from tiers_lieu.backup import copies
from tiers_lieu.database import utcnow
from tiers_lieu.extensions import db
from tiers_lieu.ops import check
from tiers_lieu.ops.jobs import JOBS, record

from .conftest import Mailbox, free_port

MAIL_PASSWORD = "correct-horse-battery-staple-42"
SMS_TOKEN = "sms-gateway-token-5f1c9a0e7d"


def lines(results):
    return [result.line() for result in results]


def by_name(results):
    return {result.name: result for result in results}


def record_fresh_runs(now=None):
    now = now or utcnow()
    for job in JOBS:
        record(db.session, job.name, last_started_at=now - timedelta(seconds=5), last_success_at=now,
               last_counts={"done": 1})


@pytest.fixture
def smtp_with_login(app):
    """A real SMTP server on loopback that accepts one login, over plain text (loopback only)."""
    def authenticator(server, session, envelope, mechanism, auth_data):
        accepted = isinstance(auth_data, LoginPassword) and auth_data.login == b"numerique@mpt-valence.fr" \
            and auth_data.password == MAIL_PASSWORD.encode()
        return AuthResult(success=accepted, handled=False)  # handled=False: aiosmtpd answers 535 itself

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USERNAME="numerique@mpt-valence.fr",
                      MAIL_PASSWORD=MAIL_PASSWORD)
    yield mailbox
    controller.stop()


@pytest.fixture
def everything_holds(app, smtp_with_login, tmp_path):
    """An installation where every check passes: each setting as production wants it, Redis on this
    machine, the SMTP server above, an HTTP SMS gateway configured, fresh jobs and a fresh backup."""
    app.config.update(
        SECRET_KEY=secrets.token_urlsafe(48), PUBLIC_URL="https://numerique.mpt-valence.fr",
        SESSION_COOKIE_SECURE=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
        MAIL_DEFAULT_SENDER="MPT Valence <numerique@mpt-valence.fr>",
        SMS_PROVIDER="http", SMS_HTTP_URL="https://sms.mpt-valence.fr/v1/messages", SMS_HTTP_TOKEN=SMS_TOKEN,
        BACKUP_DIR=str(tmp_path / "backups"))
    runner = app.test_cli_runner()
    made = runner.invoke(args=["backup", "create"])
    assert made.exit_code == 0, made.output
    record_fresh_runs()
    return runner


def assert_no_secret(app, output):
    for secret in (app.config["SECRET_KEY"], MAIL_PASSWORD, SMS_TOKEN):
        assert secret not in output


# --- the whole command ----------------------------------------------------------------------

def test_everything_holds_exits_0_with_one_ok_line_per_check(app, everything_holds, smtp_with_login):
    result = everything_holds.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    printed = result.output.splitlines()
    assert printed[-1] == f"All {len(JOBS) + 10} checks passed."
    assert all(line.startswith("OK   ") for line in printed[:-1])
    assert any(line.startswith("OK   migrations: at 00") and line.endswith(", the latest") for line in printed)
    assert f"OK   mail server: 127.0.0.1:{app.config['MAIL_PORT']} answered: EHLO, login accepted; nothing sent" \
        in printed
    assert "OK   rate limits: shared in redis://127.0.0.1:6379/0, which answers PING" in printed
    assert smtp_with_login.envelopes == []  # the mail check sends nothing
    assert_no_secret(app, result.output)


@pytest.mark.parametrize("setting, value, line", [
    ("PUBLIC_URL", "http://numerique.mpt-valence.fr",
     "FAIL public address: PUBLIC_URL is http://numerique.mpt-valence.fr: set the https:// address residents use"),
    ("SESSION_COOKIE_SECURE", False, "FAIL cookies: SESSION_COOKIE_SECURE is off"),
    ("SECRET_KEY", "dev-only-not-secret", "FAIL secret key: SECRET_KEY is the development value"),
    ("SECRET_KEY", "changeme-changeme-changeme-changeme", "FAIL secret key: SECRET_KEY is too short or not random"),
    ("MAIL_PASSWORD", "not-the-password", "FAIL mail server: 127.0.0.1:"),
    ("MAIL_DEFAULT_SENDER", "accueil@example.org",
     "FAIL mail sender: MAIL_DEFAULT_SENDER is accueil@example.org: set the centre's own address"),
    ("SMS_PROVIDER", "log", "FAIL text messages: SMS_PROVIDER=log only writes a line in the log"),
    ("SMS_HTTP_TOKEN", None, "FAIL text messages: SMS_HTTP_TOKEN is not set"),
    ("RATELIMIT_STORAGE_URI", "memory://", "FAIL rate limits: memory:// counts in each process"),
])
def test_one_thing_that_does_not_hold_fails_its_line_and_exits_1(app, everything_holds, setting, value, line):
    app.config[setting] = value
    result = everything_holds.invoke(args=["check"])
    assert result.exit_code == 1
    [failure] = [printed for printed in result.output.splitlines() if printed.startswith("FAIL")]
    assert failure.startswith(line)
    assert result.output.splitlines()[-1] == f"Passed {len(JOBS) + 9}, failed 1."
    assert_no_secret(app, result.output)


def test_a_wrong_mail_password_says_so_without_printing_either_password(app, everything_holds):
    app.config["MAIL_PASSWORD"] = wrong = "wrong-password-0b7e31"
    result = everything_holds.invoke(args=["check"])
    port = app.config["MAIL_PORT"]
    assert (f"FAIL mail server: 127.0.0.1:{port} refused the login of MAIL_USERNAME (535): check MAIL_USERNAME and "
            "MAIL_PASSWORD") in result.output.splitlines()
    assert wrong not in result.output and MAIL_PASSWORD not in result.output


def test_secrets_inside_addresses_are_never_printed(app, everything_holds):
    app.config.update(RATELIMIT_STORAGE_URI="redis://:redis-secret-8c2d@127.0.0.1:6379/0",
                      SMS_HTTP_URL="https://sms.mpt-valence.fr/v1/messages?key=url-secret-91af")
    output = everything_holds.invoke(args=["check"]).output
    assert "redis-secret-8c2d" not in output and "url-secret-91af" not in output
    assert "text messages: sent to the HTTP gateway https://sms.mpt-valence.fr/v1/messages (token set" in output
    assert_no_secret(app, output)


def test_development_settings_are_reported_not_refused(app, runner, tmp_path):
    """The test settings are development's: the command runs and says what does not hold."""
    app.config["BACKUP_DIR"] = str(tmp_path)
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    printed = result.output.splitlines()
    assert "OK   database: reachable" in printed[0]
    assert "FAIL public address: PUBLIC_URL is http://localhost: set the https:// address residents use" in printed
    assert "FAIL backup: no copy in" in result.output
    assert_no_secret(app, result.output)


# --- the mail server ------------------------------------------------------------------------

def test_the_mail_check_passes_against_a_real_server_and_sends_nothing(app, smtp_server):
    result = check.check_mail_server(app)
    assert result.line() == f"OK   mail server: 127.0.0.1:{app.config['MAIL_PORT']} answered: EHLO; nothing sent"
    assert smtp_server.envelopes == []


def test_a_closed_port_fails_with_a_clear_line(app):
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    assert check.check_mail_server(app).line() == \
        f"FAIL mail server: no answer from 127.0.0.1:{port} (connection refused: nothing listens there)"


def test_starttls_asked_of_a_server_without_it_fails(app, smtp_server):
    app.config["MAIL_USE_TLS"] = True
    assert check.check_mail_server(app).line() == (
        f"FAIL mail server: 127.0.0.1:{app.config['MAIL_PORT']} does not offer STARTTLS (check MAIL_USE_TLS, "
        "MAIL_USE_SSL, MAIL_PORT and MAIL_USERNAME)")


def test_tls_from_the_first_byte_against_a_plain_server_fails(app, smtp_server):
    app.config.update(MAIL_USE_SSL=True, MAIL_TIMEOUT=3)
    result = check.check_mail_server(app)
    assert not result.ok and result.line().startswith(f"FAIL mail server: 127.0.0.1:{app.config['MAIL_PORT']}")


def test_an_unset_mail_server_fails(app):
    app.config["MAIL_SERVER"] = None
    assert check.check_mail_server(app).line() == \
        "FAIL mail server: MAIL_SERVER is not set: name the SMTP server that sends the e-mails"


# --- the database and its migrations ----------------------------------------------------------

def test_a_database_behind_the_migrations_fails_until_upgraded(backend, blank_database_url):
    app = create_app(type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": blank_database_url}))
    with app.app_context():
        try:
            if backend == "sqlite":
                missing = check.check_database(app)
                assert not missing.ok and "there is no SQLite database at" in missing.detail
                sqlite3.connect(blank_database_url.removeprefix("sqlite:///")).close()
            assert check.check_database(app).ok
            assert check.check_migrations(app).line().startswith(
                "FAIL migrations: none applied to this database: run `flask --app wsgi db upgrade`")
            assert check.check_jobs(app, utcnow())[0].line().startswith("FAIL jobs: not read (")

            from alembic.script import ScriptDirectory
            script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
            head = script.get_current_head()
            previous = script.get_revision(head).down_revision
            upgrade(revision=previous)
            assert check.check_migrations(app).line() == \
                f"FAIL migrations: at {previous}, the code expects {head}: run `flask --app wsgi db upgrade`"
            upgrade()
            assert check.check_migrations(app).line() == f"OK   migrations: at {head}, the latest"
        finally:
            db.session.remove()
            db.engine.dispose()


def test_an_unreachable_database_fails_and_the_jobs_are_not_read(tmp_path):
    broken = create_app(type("Config", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://tiers_lieu:db-secret-77@127.0.0.1:1/tiers_lieu",
        "BACKUP_DIR": str(tmp_path)}))
    with broken.app_context():
        results = by_name(check.run_checks(broken))
        output = "\n".join(result.line() for result in results.values())
    assert results["database"].line().startswith(
        "FAIL database: no answer from postgresql+psycopg://tiers_lieu:***@127.0.0.1:1/tiers_lieu (OperationalError")
    assert not results["migrations"].ok
    assert results["jobs"].line() == "FAIL jobs: not read: the database does not answer"
    assert "db-secret-77" not in output


# --- scheduled jobs -------------------------------------------------------------------------

def test_jobs_never_run_fail_with_their_command(app):
    results = check.check_jobs(app, utcnow())
    assert len(results) == len(JOBS) and not any(result.ok for result in results)
    assert by_name(results)["job notify-send"].line() == (
        "FAIL job notify-send: never run on this database: run `flask --app wsgi notify send`, and install its "
        "timer (every minute)")
    assert "run `flask --app wsgi backup create`" in by_name(results)["job backup-create"].detail


def test_jobs_recorded_fresh_pass(app):
    now = utcnow()
    record_fresh_runs(now - timedelta(minutes=3))
    results = check.check_jobs(app, now)
    assert all(result.ok for result in results), lines(results)
    assert by_name(results)["job notify-send"].line() == "OK   job notify-send: last success 3 minutes ago (done 1)"


def test_late_and_failing_jobs_fail(app):
    now = utcnow()
    record_fresh_runs(now)
    record(db.session, "privacy-purge", last_success_at=now - timedelta(days=3))
    record(db.session, "slots-generate", last_failure_at=now - timedelta(hours=2),
           last_error="OperationalError: database is locked")
    results = by_name(check.check_jobs(app, now + timedelta(minutes=1)))
    assert results["job privacy-purge"].line() == (
        "FAIL job privacy-purge: late: last success 3 days ago, expected every night at 02:00: check its timer, "
        "or run `flask --app wsgi privacy purge`")
    # The failure came before the last success: the job recovered.
    assert results["job slots-generate"].ok
    record(db.session, "slots-generate", last_failure_at=now + timedelta(seconds=30))
    failing = by_name(check.check_jobs(app, now + timedelta(seconds=95)))["job slots-generate"]
    assert failing.line() == (
        "FAIL job slots-generate: last run failed 1 minute ago (OperationalError: database is locked): run "
        "`flask --app wsgi slots generate` and read what it prints")


def test_a_job_never_late_still_fails_when_never_run(app):
    """The yearly holidays: never late, but a fresh installation has not run them yet."""
    now = utcnow()
    record_fresh_runs(now)
    db.session.execute(db.text("DELETE FROM job_status WHERE name = 'slots-holidays'"))
    db.session.commit()
    holidays = by_name(check.check_jobs(app, now))["job slots-holidays"]
    assert not holidays.ok and "run `flask --app wsgi slots holidays`" in holidays.detail
    record(db.session, "slots-holidays", last_success_at=now - timedelta(days=300))
    assert by_name(check.check_jobs(app, now))["job slots-holidays"].ok


# --- backups --------------------------------------------------------------------------------

def test_a_backup_made_with_flask_backup_create_passes(app, runner, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    assert check.check_backup(app, utcnow()).line() == (
        f"FAIL backup: no copy in {tmp_path / 'backups'} yet: run `flask --app wsgi backup create`, and install "
        "its nightly timer")
    made = runner.invoke(args=["backup", "create"])
    assert made.exit_code == 0, made.output
    [copy] = copies.kept(tmp_path / "backups")
    result = check.check_backup(app, utcnow())
    assert result.ok and result.detail.startswith(f"{copy}, ") and " old, " in result.detail


def test_a_backup_older_than_two_days_fails(app, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path)
    now = utcnow()
    old = copies.create(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, keep=3, now=now - timedelta(days=3))
    assert check.check_backup(app, now).line() == (
        f"FAIL backup: the newest copy, {old.path}, is 3 days old: check the nightly `flask --app wsgi backup create`")
    copies.create(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, keep=3, now=now - timedelta(hours=30))
    assert check.check_backup(app, now).ok


# --- rate limits and text messages ----------------------------------------------------------

def test_a_redis_that_does_not_answer_fails(app):
    port = free_port()
    app.config["RATELIMIT_STORAGE_URI"] = f"redis://127.0.0.1:{port}/0"
    assert check.check_rate_limits(app).line() == \
        f"FAIL rate limits: no answer from redis://127.0.0.1:{port}/0 (ConnectionError)"


def test_memory_counters_pass_only_when_a_single_process_is_declared(app):
    app.config.update(RATELIMIT_STORAGE_URI="memory://", RATELIMIT_SINGLE_PROCESS=True)
    assert check.check_rate_limits(app).ok


@pytest.mark.parametrize("settings, ok, words", [
    ({"SMS_PROVIDER": "none"}, True, "switched off (SMS_PROVIDER=none)"),
    ({"SMS_PROVIDER": "log"}, False, "SMS_PROVIDER=log only writes a line in the log"),
    ({"SMS_PROVIDER": "http", "SMS_HTTP_URL": None}, False, "SMS_PROVIDER=http needs SMS_HTTP_URL"),
    ({"SMS_PROVIDER": "http", "SMS_HTTP_URL": "http://sms.mpt-valence.fr/send", "SMS_HTTP_TOKEN": SMS_TOKEN}, False,
     "SMS_HTTP_URL must be an https:// address"),
    ({"SMS_PROVIDER": "http", "SMS_HTTP_URL": "https://sms.mpt-valence.fr/send", "SMS_HTTP_TOKEN": SMS_TOKEN}, True,
     "sent to the HTTP gateway https://sms.mpt-valence.fr/send (token set; not contacted)"),
    ({"SMS_PROVIDER": "pigeon"}, False, "unknown SMS_PROVIDER 'pigeon'"),
])
def test_the_sms_check_reads_the_settings_only(app, settings, ok, words):
    app.config.update(settings)
    result = check.check_sms(app)
    assert (result.ok, result.name) == (ok, "text messages") and words in result.detail
    assert SMS_TOKEN not in result.line()
