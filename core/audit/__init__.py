"""The append-only audit trail of every mutation."""
