"""tus 1.0 uploads of registered evidence: upload resources over the evidence's resumable chunk storage."""
