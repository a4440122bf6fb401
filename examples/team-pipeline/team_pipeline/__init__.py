"""A team's continuous-training project: its own features, model and @dsl.pipeline, with ctsim's components
for the lake, the gates, the registry and the canary (see ``flow.py``)."""
