"""Enterprise events (penalties, cases, complaints, emergencies, inspections) and the facts they feed."""
