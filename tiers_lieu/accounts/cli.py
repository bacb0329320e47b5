import click
from flask.cli import AppGroup

from ..extensions import db
from . import two_step
from .models import Role
from .service import AccountError, create_user, find_by_email

users = AppGroup("users", help="Staff accounts.")


@users.command("create")
@click.option("--email", prompt=True, help="The staff member's e-mail address, used to log in.")
@click.option("--name", "display_name", prompt=True, help="The name shown to colleagues.")
@click.option("--role", type=click.Choice([role.value for role in Role]),
              default=Role.FACILITATOR.value, show_default=True)
@click.option("--language", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.password_option(help="Asked for twice without echo when not given.")
def create(email, display_name, role, language, password):
    """Create a staff account."""
    try:
        user = create_user(email, display_name, password, role=role, language=language)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} account {user.id} for {user.email}.")


@users.command("two-step-off")
@click.argument("email")
def two_step_off(email):
    """Turn off the two-step verification of a staff account (phone and recovery codes lost)."""
    user = find_by_email(email)
    if user is None:
        raise click.ClickException("No staff account uses this e-mail address.")
    if not user.two_step_on:
        click.echo(f"Two-step verification was already off for account {user.id}.")
        return
    two_step.turn_off(db.session, user)
    click.echo(f"Two-step verification is off for account {user.id}: its password alone logs in. "
               "They can turn it on again from their account page.")
