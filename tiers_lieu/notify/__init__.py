"""Messages to residents: an outbox filled with each booking change, sent by `flask notify send`."""
