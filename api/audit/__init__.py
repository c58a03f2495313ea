"""The audit log over GraphQL (``auditLog``) and the scope a viewer reads it in."""
