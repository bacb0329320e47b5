"""`flask backup create` (nightly, see the README) and `flask backup restore FILE`."""
import click
from flask import current_app
from flask.cli import with_appcontext

from ..ops.jobs import recorded_job
from .copies import BackupError, create, kept, restore

backup = click.Group("backup", help="Copies of the database: take one, list them, restore one.")


@backup.command("create")
@click.option("--to", "folder", type=click.Path(file_okay=False), help="The folder (default: the BACKUP_DIR setting).")
@click.option("--keep", type=click.IntRange(1, 1000), help="How many copies to keep there (default: BACKUP_KEEP).")
@with_appcontext
@recorded_job("backup-create")
def create_command(folder, keep):
    """Write a consistent copy of the database while the app serves; keep the last ones."""
    folder = folder or current_app.config["BACKUP_DIR"]
    keep = keep or current_app.config["BACKUP_KEEP"]
    try:
        made = create(current_app.config["SQLALCHEMY_DATABASE_URI"], folder, keep)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written: {made.path} ({made.size:,} bytes); {len(made.removed)} older copies removed, "
               f"{keep} kept at most.")
    return {"bytes": made.size, "removed": len(made.removed)}


@backup.command("list")
@click.option("--in", "folder", type=click.Path(file_okay=False), help="The folder (default: BACKUP_DIR).")
@with_appcontext
def list_command(folder):
    """The copies kept, oldest first."""
    found = kept(folder or current_app.config["BACKUP_DIR"])
    for path in found:
        click.echo(f"{path}  {path.stat().st_size:,} bytes")
    if not found:
        click.echo("No backup there yet.")


@backup.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--replace", is_flag=True, help="Overwrite a database that is not empty.")
@with_appcontext
def restore_command(file, replace):
    """Restore a copy into the configured database (DATABASE_URL), which must be empty."""
    try:
        restore(file, current_app.config["SQLALCHEMY_DATABASE_URI"], replace=replace)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo("Backup restored. Run `flask db upgrade` if the copy is older than this version of the app.")
