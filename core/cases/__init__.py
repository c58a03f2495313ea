"""Cases and penalties (案件): from a finding to a served, paid and published decision."""
