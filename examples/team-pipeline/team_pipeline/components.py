"""The team's own components: training its model. Everything else comes from ctsim.kfp.

They run on the team's image (ctsim's component image plus this package): kfp.local's subprocess runner
ignores images, its Docker runner and a cluster use it.
"""

from kfp import dsl
from kfp.dsl import Dataset, Input, Model, Output

from team_pipeline.image import TEAM_IMAGE


@dsl.component(base_image=TEAM_IMAGE, install_kfp_package=False)
def train_model(
    namespace: str,
    run_id: str,
    train_set: Input[Dataset],
    task: str,
    learning_rate: float,
    max_iter: int,
    model: Output[Model],
) -> int:
    """Fit the team's model on the training rows; save it so the next tasks can check what they load."""
    import pandas as pd

    from ctsim.kfp import run_settings, save_model
    from team_pipeline.model import build_model, sabotaged

    settings = run_settings(namespace, run_id)  # the lake's columns and label, the seed, scripted faults
    contract = settings.data_contract()
    rows = pd.read_parquet(train_set.path)
    target = rows[contract.label]
    if settings.sabotage:
        target = sabotaged(target, settings.seed)
    fitted = build_model(task, learning_rate, max_iter, settings.seed).fit(rows[list(contract.feature_names)], target)
    save_model(fitted, model)
    return len(rows)
