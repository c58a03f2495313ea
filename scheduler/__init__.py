"""Draws (weighted stratified sampling), inspector assignment, calendar and leased periodic jobs.

``scheduler/sampling.py`` and ``assignment.py`` are pure functions of their inputs and seed.
"""
