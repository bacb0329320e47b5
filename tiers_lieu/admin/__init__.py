"""Set-up pages for coordinators: the centre, staff accounts, and later topics and rules."""
