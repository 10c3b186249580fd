# Everything is declared in pyproject.toml. This stub exists for `scrapyd-deploy`, which builds
# its egg with `python setup.py bdist_egg` (and would otherwise write a setup.py of its own here).
from setuptools import setup

setup()
