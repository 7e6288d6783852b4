"""The bundled FIA features (features/, shipped in the package), run by the packaged plugin and
steps — the repository's own tests use the suite exactly as a test team's project does."""

from pytest_bdd import scenarios

from s1harness.suite import FEATURES

scenarios(str(FEATURES))
