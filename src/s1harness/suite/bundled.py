"""The scenarios ``s1harness run`` runs: every feature under :func:`~s1harness.suite.feature_paths`
(the bundled FIA suite, or the files and folders it was given), with the packaged steps."""

from pytest_bdd import scenarios

from s1harness.suite import feature_paths

scenarios(*(str(path) for path in feature_paths()))
