"""Draws (weighted stratified sampling), inspector assignment, calendar and leased periodic jobs.

``scheduler/sampling.py`` holds pure functions that take their random generator as an argument.
Built by the draws issue.
"""
