"""The lab: experiments, plans, the runner and its trial store, statistics and verdicts."""

from atomlab.engine.trial_kinds import register_trial_kind, trial_kinds
from atomlab.lab.claims import (
    AllEquivalent,
    Check,
    Claim,
    ClaimResult,
    ClaimTest,
    Compare,
    Equivalent,
    PerSeed,
    Reaches,
    Trend,
    check_claims,
)
from atomlab.lab.experiment import PROVENANCE, SCALES, Experiment, SourceNumber, experiments, register_experiment
from atomlab.lab.result import Result
from atomlab.lab.trial import DataSpec, Trial

__all__ = [
    "PROVENANCE", "SCALES", "AllEquivalent", "Check", "Claim", "ClaimResult", "ClaimTest", "Compare", "DataSpec",
    "Equivalent", "Experiment", "PerSeed", "Reaches", "Result", "SourceNumber", "Trend", "Trial", "check_claims",
    "experiments", "register_experiment", "register_trial_kind", "trial_kinds",
]
