"""Field evidence files: registration, resumable upload into GridFS, media checks."""
