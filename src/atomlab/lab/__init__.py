"""The lab: experiments, plans, the runner and its cache, statistics and verdicts."""

from atomlab.engine.trial_kinds import register_trial_kind, trial_kinds
from atomlab.lab.claims import ClaimResult, Compare, Custom, Trend, check_claims
from atomlab.lab.experiment import SCALES, Experiment, experiments, register_experiment
from atomlab.lab.result import Result
from atomlab.lab.trial import DataSpec, Trial

__all__ = [
    "SCALES", "ClaimResult", "Compare", "Custom", "DataSpec", "Experiment", "Result", "Trend", "Trial",
    "check_claims", "experiments", "register_experiment", "register_trial_kind", "trial_kinds",
]
