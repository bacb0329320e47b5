"""Messages to residents: an outbox written with the booking change, delivered by `flask notify send`."""
