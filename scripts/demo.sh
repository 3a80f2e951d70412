#!/usr/bin/env bash
# Install interp-ecg and run the main job on the embedded synthetic cohort; the PDF report is
# written under reports/demo/. The cohort size and worker count are given here (the command's
# defaults are those of a `kind: demo` study YAML: 300 records, one process); later arguments win.
source "$(dirname "$0")/_env.sh"
interp-ecg demo --out reports/demo --n-records 240 --n-jobs -1 "$@"
