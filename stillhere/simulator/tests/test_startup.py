"""`stillhere --help` and the tick start without the heavy libraries.

A person typing `stillhere --help` should see the verbs at once, and the
tick runs every minute; neither needs Ibis, pandas, spaCy or scikit-learn.
Speed itself is measured by bench/startup.py; this checks the cause.
"""

import json
import subprocess
import sys

HEAVY = ("ibis", "pandas", "pyarrow", "duckdb", "spacy", "presidio_analyzer", "sklearn", "scipy",
         "lifelines", "pyspark")

PROBE = """
import json, sys, runpy
sys.argv = {argv!r}
try:
    runpy.run_module("stillhere.cli", run_name="__main__")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})), file=sys.stderr)
"""


def loaded_after(argv):
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stderr.strip().splitlines()[-1])


def test_help_lists_every_verb_with_its_purpose_without_heavy_imports():
    out = subprocess.run([sys.executable, "-m", "stillhere.cli", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "deidentify     Print a note with everything that could identify a person taken out" in out
    assert "scan           Compute engagement states" in out
    assert loaded_after(["stillhere", "--help"]) == []


def test_the_tick_starts_without_heavy_imports():
    assert loaded_after(["stillhere", "tick", "--help"]) == []


LISTING_BEFORE = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
import stillhere.cli as cli
cli.verbs = cli._verbs_from_django
print(cli.overview())
"""


def test_help_lists_the_verbs_django_knows_without_setting_django_up():
    """The verbs are found in the apps' folders rather than by setting Django
    up (which imports every app, django-ninja and pydantic): the listing must
    still be the one Django itself would give, and the set-up must not run."""
    fast = subprocess.run([sys.executable, "-m", "stillhere.cli", "--help"], capture_output=True, text=True,
                          check=True).stdout
    slow = subprocess.run([sys.executable, "-c", LISTING_BEFORE], capture_output=True, text=True,
                          check=True).stdout
    assert fast == slow
    assert "runserver" in fast and "export_openapi_schema" in fast
    probe = PROBE.format(argv=["stillhere", "--help"], heavy=("ninja", "pydantic", "django"))
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stderr.strip().splitlines()[-1]) == []  # not even Django itself
