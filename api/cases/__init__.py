"""Cases and penalties in GraphQL: the case, its steps as mutations, lists with deadlines."""
