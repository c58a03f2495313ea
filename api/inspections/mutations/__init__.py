"""Plan mutations: shared input shapes and one module per mutation."""
