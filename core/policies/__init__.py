"""Policies as data: versions and their lifecycle, golden cases, simulation, explanations, decisions per enterprise."""
