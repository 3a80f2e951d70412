#!/usr/bin/env bash
# Install interp-ecg with its test extras and run the default test suite (slow tests excluded).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m slow`.
source "$(dirname "$0")/_env.sh"
python -m pytest -m "not slow" -q --doctest-modules interp_ecg tests "$@"
