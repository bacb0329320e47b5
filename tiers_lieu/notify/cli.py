import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..ops.jobs import recorded_job
from .email import SmtpSender
from .service import deliver_pending
from .sms import sms_provider_from_config

notify = AppGroup("notify", help="Messages to residents: e-mail and SMS.")


@notify.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="Send at most this many messages in this run.")
@recorded_job("notify-send")
def send(limit):
    """Deliver the messages that are due; run it every minute."""
    try:
        sms_sender = sms_provider_from_config(current_app)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    with SmtpSender.from_config(current_app) as email_sender:
        report = deliver_pending(db.session, email_sender=email_sender, sms_sender=sms_sender,
                                 limit=limit)
    click.echo(f"Sent {report.sent}, to retry {report.retried}, failed {report.failed}, "
               f"recovered from interrupted runs {report.recovered}.")
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed,
            "recovered": report.recovered}
