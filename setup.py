"""For `scrapyd-deploy`, which builds Scrapyd's egg with `python setup.py bdist_egg`.

The project is described in pyproject.toml (the `scrapy` entry point names its settings). This
file exists so that scrapyd-deploy does not write a setup.py of its own into the checkout, and so
that building the egg leaves nothing behind: setuptools' `build/` goes to a temporary folder, and
the `zhihu_archiver.egg-info/` it writes beside this file (bdist_egg takes the metadata from
there only) is removed again unless it was there before (`pip install -e` makes one too).
"""

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

from setuptools import setup

scratch = Path(tempfile.mkdtemp(prefix="zhihu-archiver-build-"))
leftovers = [scratch]
egg_info = Path(__file__).resolve().parent / "zhihu_archiver.egg-info"
if "bdist_egg" in sys.argv and not egg_info.exists():
    leftovers.append(egg_info)
for leftover in leftovers:
    atexit.register(shutil.rmtree, leftover, ignore_errors=True)
setup(options={"build": {"build_base": str(scratch)}})
