"""User accounts, roles, jurisdiction scope, password login with slow-down and lock-out, tokens."""
