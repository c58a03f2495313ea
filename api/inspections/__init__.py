"""GraphQL delivery of random-check plans, draws and tasks, and their public views."""
