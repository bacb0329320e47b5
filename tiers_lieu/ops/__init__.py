"""Running the app for real: the scheduled jobs and their last runs, and the operator's checks."""
