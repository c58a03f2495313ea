"""Positive-list (正面清单) membership: admissions and removals as append-only records, projected onto enterprises."""
