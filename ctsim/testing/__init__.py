"""Property-based testing kit for ctsim users: strategies, a pytest plugin and the ``verify-gates`` suite.

    ctsim.testing.strategies   hypothesis strategies (settings, batches with faults, histories, scenarios)
    ctsim.testing.plugin       pytest fixtures: ctsim_store, ctsim_registry, ctsim_run_scenario
    ctsim.testing.profiles     hypothesis profiles ci / dev / nightly ($CTSIM_HYPOTHESIS_PROFILE)
    ctsim.testing.properties   the properties ``ctsim verify-gates`` checks against a scenario's settings
    ctsim.testing.verify       running them programmatically and collecting the smallest counterexamples
    ctsim.testing.helpers      scenario files, fresh registries and run-wide invariants for timelines

Nothing is imported here, so loading the pytest plugin stays cheap.
"""
