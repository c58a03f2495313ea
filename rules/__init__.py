"""Policy engine: policy documents as data, validation, durable_rules compilation, evaluation.

Only ``rules/engine.py`` may import ``durable``.
"""
