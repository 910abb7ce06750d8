"""The built-in trial kinds, one module each; :mod:`atomlab.engine.trial_kinds` imports them on first use.

==========================  ===========================================================================
kind                        module
==========================  ===========================================================================
``sklearn``                 :mod:`~atomlab.engine.kinds.sklearn_estimators`: fit a scikit-learn estimator
``solo``                    :mod:`~atomlab.engine.kinds.solo`: one population member trained (and timed) alone
``module``                  :mod:`~atomlab.engine.kinds.cnn_module`: a CNN through the general engine, probed
``population_probed``       :mod:`~atomlab.engine.kinds.probed_population`: population + parameter movement
``ordered_sgd``             :mod:`~atomlab.engine.kinds.ordered_sgd`: plain SGD visiting examples in an order
``scratch`` and three more  :mod:`~atomlab.engine.kinds.scratch_net`: the NumPy network of ``atomlab.scratch``
``conv_arithmetic``         :mod:`~atomlab.engine.kinds.conv_arithmetic`: conv/pool sizes computed by PyTorch
==========================  ===========================================================================

A new kind is a new module here that calls :func:`~atomlab.engine.trial_kinds.register_trial_kind`;
nothing else needs editing.
"""
