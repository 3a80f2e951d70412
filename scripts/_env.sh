# Sourced by demo.sh and test.sh: use the active virtualenv, or create ./.venv, and install
# the package with everything it needs. torch is pinned to the CPU build held on these
# machines (an unpinned torch pulls a multi-GB CUDA build); the package itself asks only
# for a range, so users with CUDA keep their GPU build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -z "${VIRTUAL_ENV:-}" ]; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  . .venv/bin/activate
fi
python -m pip install --quiet --upgrade pip
python -m pip show torch >/dev/null 2>&1 || python -m pip install --quiet "torch==${INTERP_ECG_TORCH:-2.13.0}"
python -m pip install --quiet -e ".[all,test]"
export MPLBACKEND=Agg
