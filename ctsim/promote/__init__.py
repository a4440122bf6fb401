"""Promotion: the pipeline that passed the scenario suite, unchanged, onto Kubeflow Pipelines.

gate.py         the promotion gate (pure) and the reader of runs/suite-*/suite.json
cron.py         five-field croniter → KFP six-field cron (pure)
context.py      which kube context promote may target (pure rule + kubeconfig reader)
plan.py         what promote will create, as data (pure)
workflow.py     load the scenario, compile both pipelines, start one run
deploy.py       apply a plan with kfp.Client: create or reuse, errors as one line
cluster.py      kind + KFP standalone: the command plan (pure) and a thin runner
trigger_job.py  what the trigger-check component does on the cluster each tick
"""

from ctsim.promote.cron import to_kfp_cron
from ctsim.promote.gate import SuiteRecord, load_suites, promotion_gate

__all__ = ["SuiteRecord", "load_suites", "promotion_gate", "to_kfp_cron"]
