"""ctsim.kfp is the public face of the pipeline contract: every name the contract page promises is there, and the
helpers a component body uses import without the KFP SDK's pipeline-building classes (as in KFP's executor)."""

import subprocess
import sys

import ctsim.kfp

PROMISED = {
    "collect_data",
    "validate_data",
    "split_data",
    "evaluate_model",
    "register_model",
    "start_canary",
    "raise_alert",
    "finish_run",
    "exit_handler",
    "on_cluster",
    "ctsim_component",
    "components_on",
    "save_model",
    "load_model",
    "run_settings",
    "COMPONENT_IMAGE",
    "with_store_secret",
}


def test_every_promised_name_is_exported_and_resolves():
    assert set(ctsim.kfp.__all__) == PROMISED
    assert all(getattr(ctsim.kfp, name) is not None for name in PROMISED)


def test_the_body_helpers_import_in_kfps_reduced_runtime():
    code = (
        "import os; os.environ['_KFP_RUNTIME'] = 'true'\n"
        "from ctsim.kfp import run_settings, save_model, load_model\n"
        "import sys; assert 'ctsim.pipeline.library' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
