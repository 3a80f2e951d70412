"""Run this study; the same as ``interp-ecg study run <this folder>/study.yaml``.

Extra arguments go to ``interp-ecg study run``, for example::

    python run.py --seed 1 --n-jobs 2 --set data.n_records=200
"""

import sys
from pathlib import Path

from interp_ecg.cli import app

if __name__ == "__main__":
    app(["study", "run", str(Path(__file__).resolve().with_name("study.yaml")), *sys.argv[1:]],
        prog_name="interp-ecg")
