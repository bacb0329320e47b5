"""tiers_lieu: bookings, reception desk and statistics for a digital-inclusion space."""
import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_object=None):
    """Build the application: configuration, extensions, blueprints, commands, error pages."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(config_object or os.environ.get("TIERS_LIEU_CONFIG", "config.Config"))
    app.jinja_env.add_extension("jinja2.ext.do")
    check_configuration(app)
    register_request_parsing(app)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    return app


def check_configuration(app):
    """Refuse to serve production with settings that would expose residents' data."""
    if app.config["ENV_NAME"] != "production":
        Path(app.instance_path).mkdir(exist_ok=True)
        return
    from config import DEV_SECRET_KEY

    from .notify.sms import sms_setting_problem
    from .ops.settings import counts_per_process, is_example_address

    problems = []
    secret = app.config.get("SECRET_KEY") or ""
    if secret == DEV_SECRET_KEY or len(secret) < 32:
        problems.append("SECRET_KEY must be a random value of at least 32 characters")
    if not app.config.get("SESSION_COOKIE_SECURE"):
        problems.append("SESSION_COOKIE_SECURE must stay on: cookies travel over HTTPS only")
    if not (app.config.get("PUBLIC_URL") or "").startswith("https://"):
        problems.append("PUBLIC_URL must be the https:// address residents use")
    if counts_per_process(app.config.get("RATELIMIT_STORAGE_URI")) and not app.config.get("RATELIMIT_SINGLE_PROCESS"):
        problems.append("RATELIMIT_STORAGE_URI must be a storage every process shares, such as "
                        "redis://127.0.0.1:6379: with memory:// each gunicorn worker counts failed logins and "
                        "look-ups alone, multiplying the limits (set RATELIMIT_SINGLE_PROCESS=1 if a single "
                        "process serves)")
    # Messages that go nowhere would fail silently, for weeks: refuse them here instead.
    if not app.config.get("MAIL_SERVER"):
        problems.append("MAIL_SERVER must name the SMTP server that sends the residents' e-mails "
                        "(localhost if this machine relays them), with MAIL_PORT and its login")
    if is_example_address(app.config.get("MAIL_DEFAULT_SENDER")):
        problems.append("MAIL_DEFAULT_SENDER must be the centre's own address, not the example.org default")
    sms_problem = sms_setting_problem(app.config, production=True)
    if sms_problem:
        problems.append(sms_problem)
    if problems:
        raise RuntimeError("Refusing to start in production: " + "; ".join(problems))


def register_request_parsing(app):
    """Ids, dates and text as every route and form reads them (before the routes are added)."""
    from .core import inputs

    inputs.init_app(app)


def register_extensions(app):
    from . import database, i18n, logs, models, settings_cache  # noqa: F401  (models: the whole schema is known)
    from .accounts import auth
    from .core import limits
    from .extensions import csrf, db, limiter, migrate
    from .stats import daily_counts

    db.init_app(app)
    database.init_app(app)
    logs.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    limits.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    # Every save of a help session also updates the statistics' per-day counts, in its transaction;
    # a change of a cached setting (the centre, the booking rules, topics) empties this process's copy.
    daily_counts.keep_up_to_date()
    settings_cache.watch_flushes()
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count)


def register_blueprints(app):
    from .accounts.access import check_table
    from .accounts.views import bp as accounts
    from .admin.pages import bp as admin
    from .booking.api import bp as api
    from .booking.views import bp as booking
    from .core.views import bp as core
    from .desk.pages import bp as desk
    from .desk.pages import lobby_bp as lobby
    from .opendata.views import bp as opendata
    from .ops.views import bp as ops
    from .stats.views import bp as stats

    for blueprint in (core, booking, api, accounts, desk, lobby, stats, admin, ops, opendata):
        app.register_blueprint(blueprint)
    check_table(app)


def register_commands(app):
    """Every `flask` command group, and the commands one domain lends another's group."""
    from .accounts.cli import users
    from .backup.cli import backup
    from .booking.cli import reminders, slots
    from .demo import seed
    from .notify.cli import notify
    from .ops.check import check_command
    from .ops.cli import ops
    from .privacy.cli import privacy
    from .stats.cli import bench, stats

    notify.add_command(reminders)   # the booking domain knows who asked for a reminder
    seed.add_command(bench)         # the statistics' history, on top of the demo
    for group in (users, slots, seed, notify, stats, privacy, backup, ops):
        app.cli.add_command(group)
    app.cli.add_command(check_command)


def register_errorhandlers(app):
    from .core.errors import register

    register(app)


def register_request_hooks(app):
    from flask import before_render_template

    from .core import flashes, security
    from .core.bodies import Request
    from .core.forms import count_form_errors

    app.request_class = Request
    security.register(app)
    flashes.register(app)
    before_render_template.connect(count_form_errors, app)
