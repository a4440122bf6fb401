"""The pure work of each pipeline step: frames and models in, frames, models and decisions out."""

from ctsim.steps.features import FeatureRecipe, clean, engineer, split_by_recency
from ctsim.steps.model import ServableModel
from ctsim.steps.training import score, train

__all__ = ["FeatureRecipe", "ServableModel", "clean", "engineer", "score", "split_by_recency", "train"]
