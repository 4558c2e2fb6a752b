"""Sign-in events of the accounts app (recorded in the audit trail)."""
