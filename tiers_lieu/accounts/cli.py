import click
from flask.cli import AppGroup

from .models import Role
from .service import AccountError, create_user

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
