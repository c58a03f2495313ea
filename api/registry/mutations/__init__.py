"""Registry mutations, one module each."""
