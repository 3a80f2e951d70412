#!/usr/bin/env bash
# Install interp-ecg and run the main job on the embedded synthetic cohort; the PDF report is
# written under reports/demo/.
source "$(dirname "$0")/_env.sh"
interp-ecg demo --out reports/demo "$@"
