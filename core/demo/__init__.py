"""Deterministic demo data: synthetic enterprises, inspectors and random-check matters."""
