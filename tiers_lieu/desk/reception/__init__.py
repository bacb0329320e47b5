"""The day at the desk: appointments and check-in (`agenda`), the walk-in queue (`queue`), the
desk's pages (`views`) and the lobby's kiosk and display (`lobby`)."""
