"""Retraining policies compared: the same scenario and seed replayed under each policy.

``policies`` defines the built-in policies and reads more from YAML; ``metrics`` measures a
run from its timeline (pure); ``compare`` replays and collects; ``plot`` draws the curves.
"""
