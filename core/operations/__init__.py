"""What an operator asks of the installation itself (the database server and its collections)."""
