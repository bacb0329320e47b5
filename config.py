"""Settings for tiers_lieu, read from environment variables.

`Config` is the development default (SQLite in `instance/`), `TestConfig` is used by the test
suite and `ProductionConfig` by gunicorn behind a reverse proxy.
"""
import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DEV_SECRET_KEY = "dev-only-not-secret"


def env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_int(name, default):
    return int(env(name, default))


def env_words(name, default):
    """A list setting written as words: `RESIDENT_LANGUAGES="fr en ar tr"`."""
    return tuple(env(name, default).replace(",", " ").split())


def env_bool(name, default):
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def storage_options(uri):
    """Short time-outs for a Redis storage: a Redis host that vanished (no answer, not even a
    refusal) or froze then delays a request by a second before the fallback takes over, instead
    of the system's two-minute wait to connect, or no end at all to a read, that would get
    gunicorn workers killed one after the other."""
    if uri.split(":", 1)[0] in {"redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster"}:
        return {"socket_connect_timeout": 1, "socket_timeout": 1}
    return {}


class Config:
    ENV_NAME = "development"
    SECRET_KEY = env("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = env("DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'tiers_lieu.db'}")
    # Parameters stay out of error messages and logs: they may be personal data.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}

    # The centre. The database row created by `flask seed demo` or the set-up pages wins; these
    # values are what a fresh installation shows before that.
    CENTRE_NAME = env("CENTRE_NAME", "Maison Pour Tous — Petit Charran")
    CENTRE_ADDRESS = env("CENTRE_ADDRESS", "Place du Petit Charran, 26000 Valence")
    CENTRE_PHONE = env("CENTRE_PHONE", "04 75 00 00 00")
    CENTRE_EMAIL = env("CENTRE_EMAIL", "accueil@example.org")
    TIMEZONE = env("TIMEZONE", "Europe/Paris")
    # Where to report a vulnerability, for /.well-known/security.txt: a mailto: or https:// address
    # (the centre's e-mail when empty).
    SECURITY_CONTACT = env("SECURITY_CONTACT")
    # The address residents use, for the links in e-mails, SMS, QR codes and calendar files. Unset in
    # development: links follow the address the page was served on (tiers_lieu/core/links.py).
    PUBLIC_URL = env("PUBLIC_URL")
    # Who publishes the open-data files (/open-data/…): the producer id in their ids and file names.
    # Set it once and keep it: the national maps follow the centre by it. Unset, the public
    # address's host name ("mpt-valence.fr" gives "mpt-valence-fr").
    OPENDATA_PRODUCER = env("OPENDATA_PRODUCER")
    # `flask backup create`: where copies of the database go, and how many are kept there. They hold
    # personal data: keep few, and copy them off the machine encrypted (README, "Backups").
    BACKUP_DIR = env("BACKUP_DIR", str(ROOT / "instance" / "backups"))
    BACKUP_KEEP = env_int("BACKUP_KEEP", 14)

    # The languages of the residents' pages and messages, and those of the staff's pages: each needs
    # its catalogue in translations/ (README, "Adding a language"). French first: the default.
    RESIDENT_LANGUAGES = env_words("RESIDENT_LANGUAGES", "fr en ar tr")
    STAFF_LANGUAGES = env_words("STAFF_LANGUAGES", "fr en")
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    LANGUAGE_COOKIE = "lang"

    SESSION_COOKIE_NAME = "tiers_lieu_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    # Staff sessions end after a working day; desk computers are shared.
    STAFF_SESSION_LIFETIME = timedelta(hours=env_int("STAFF_SESSION_HOURS", 12))
    PERMANENT_SESSION_LIFETIME = STAFF_SESSION_LIFETIME

    WTF_CSRF_TIME_LIMIT = 3600 * 8

    # What a request may send. No form uploads a file; the largest, a topic, holds 6,300
    # characters at most: 75 KB url-encoded even if every one were an emoji (12 bytes once
    # percent-encoded). 256 KiB is three times that, and refuses from the Content-Length header
    # alone the megabytes that would keep a worker busy parsing.
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 256 * 1024)
    # Fields in one form, url-encoded or multipart (core/bodies.py): the session form with every
    # box ticked (20 topics, 40 needs, a workshop of 50) sends about 130; a hundred thousand tiny
    # fields would cost far more memory than their bytes.
    MAX_FORM_PARTS = env_int("MAX_FORM_PARTS", 1000)
    # One text field of a multipart body (the app's forms send none, but anyone may): the longest
    # field, 2,000 characters, takes 8 KB at most in UTF-8.
    MAX_FORM_MEMORY_SIZE = env_int("MAX_FORM_MEMORY_SIZE", 64 * 1024)

    # argon2id parameters (RFC 9106 second recommended option by default).
    ARGON2_TIME_COST = env_int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = env_int("ARGON2_MEMORY_COST", 65536)
    ARGON2_PARALLELISM = env_int("ARGON2_PARALLELISM", 4)

    # Where the rate limits count. memory:// keeps the counters in each process: right for one
    # process (development, tests), but with three gunicorn workers each would allow the whole
    # limit. Production refuses it (tiers_lieu.check_configuration) unless the operator declares
    # with RATELIMIT_SINGLE_PROCESS=1 that a single process serves.
    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_SINGLE_PROCESS = env_bool("RATELIMIT_SINGLE_PROCESS", False)
    # Fixed windows: a counter that a successful attempt can give back (core/limits.py).
    RATELIMIT_STRATEGY = "fixed-window"
    # When Redis stops answering (restarting, say), each process counts in its own memory until
    # Redis answers again (Flask-Limiter tries it after 1, 2, 4… 32 seconds): the login page
    # keeps working and guessing stays limited, if only per process, instead of a 500 for every
    # resident and member of staff, or no limit at all. Swallowing errors covers the one call the
    # fallback does not: counting a failed attempt after the page was made, if Redis went away in
    # between; that attempt goes uncounted and the error is logged.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = storage_options(RATELIMIT_STORAGE_URI)
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_FAILURES_PER_ACCOUNT = env("LOGIN_FAILURES_PER_ACCOUNT", "10 per minute")
    LOGIN_FAILURES_PER_ADDRESS = env("LOGIN_FAILURES_PER_ADDRESS", "30 per minute")
    # "Forgot your password?": every request counts, sent or not, so that the page neither floods
    # a colleague's mailbox nor tells by refusing sooner which addresses have an account.
    PASSWORD_RESETS_PER_ACCOUNT = env("PASSWORD_RESETS_PER_ACCOUNT", "3 per hour")
    PASSWORD_RESETS_PER_ADDRESS = env("PASSWORD_RESETS_PER_ADDRESS", "20 per hour")
    # How long the e-mailed link works (once).
    PASSWORD_RESET_MINUTES = env_int("PASSWORD_RESET_MINUTES", 30)
    LOOKUP_FAILURES_PER_CODE = env("LOOKUP_FAILURES_PER_CODE", "10 per hour")
    LOOKUP_FAILURES_PER_ADDRESS = env("LOOKUP_FAILURES_PER_ADDRESS", "100 per hour")
    # Far above what the entrance's kiosk hands out (a ticket every few seconds at most), low
    # enough that a script cannot fill the day's queue.
    KIOSK_TICKETS_PER_ADDRESS = env("KIOSK_TICKETS_PER_ADDRESS", "20 per minute")

    # A monitor reads /healthz/jobs with `Authorization: Bearer <MONITOR_TOKEN>`; unset, only
    # logged-in staff can (README, "Jobs that report").
    MONITOR_TOKEN = env("MONITOR_TOKEN")

    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_COUNT = env_int("PROXY_COUNT", 0)
    HSTS = False
    DEMO_DATA_ALLOWED = True

    MAIL_SERVER = env("MAIL_SERVER", "localhost")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USERNAME = env("MAIL_USERNAME")
    MAIL_PASSWORD = env("MAIL_PASSWORD")
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)  # STARTTLS on a plain connection (port 587)
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)  # TLS from the first byte (port 465)
    MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 10)  # seconds
    MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "accueil@example.org")

    # "log" writes a line without the number or the text (development only); "http" posts to
    # SMS_HTTP_URL; "none" switches text messages off: residents are offered e-mail and calls only.
    SMS_PROVIDER = env("SMS_PROVIDER", "log")
    SMS_HTTP_URL = env("SMS_HTTP_URL")
    SMS_HTTP_TOKEN = env("SMS_HTTP_TOKEN")
    SMS_SENDER_NAME = env("SMS_SENDER_NAME", "MPT Valence")
    SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10)  # seconds


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    PUBLIC_URL = "http://localhost"
    # Cheap hashes keep the suite fast; the algorithm stays argon2id.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8192
    ARGON2_PARALLELISM = 1


class ProductionConfig(Config):
    ENV_NAME = "production"
    PUBLIC_URL = env("PUBLIC_URL")
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    HSTS = True
    DEMO_DATA_ALLOWED = False
    PROXY_COUNT = env_int("PROXY_COUNT", 1)
    # No defaults: messages that go nowhere must be a refusal to start (tiers_lieu.check_configuration),
    # not a failure found weeks later. `localhost` is fine when the operator writes it.
    MAIL_SERVER = env("MAIL_SERVER")
    SMS_PROVIDER = env("SMS_PROVIDER")
