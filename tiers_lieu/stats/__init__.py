"""Usage statistics and exports for coordinators (facilitators see their own)."""
