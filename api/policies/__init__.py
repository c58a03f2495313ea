"""GraphQL delivery of policies: reading, the authoring lifecycle, simulation and explanations."""
