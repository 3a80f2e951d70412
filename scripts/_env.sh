# Sourced by demo.sh and test.sh: use the active virtualenv, or create ./.venv, and install
# the package with everything it needs. torch is pinned to one version
# (INTERP_ECG_TORCH, default 2.13.0) and installed from pip's configured indexes, with no
# network source added here: on the project machines their pip configuration serves the
# CPU build; on a usual Linux machine PyPI's torch wheel is the CUDA build (several GB).
# For the CPU build from PyTorch's own index, opt in with
#   INTERP_ECG_TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu bash scripts/test.sh
# A torch already installed in the environment is kept; the package itself asks only for a
# range (torch>=2.2), so users with CUDA keep their GPU build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -z "${VIRTUAL_ENV:-}" ]; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  . .venv/bin/activate
fi
python -m pip install --quiet --upgrade pip
if ! python -m pip show torch >/dev/null 2>&1; then
  if [ -n "${INTERP_ECG_TORCH_INDEX_URL:-}" ]; then
    python -m pip install --quiet --index-url "${INTERP_ECG_TORCH_INDEX_URL}" "torch==${INTERP_ECG_TORCH:-2.13.0}"
  else
    python -m pip install --quiet "torch==${INTERP_ECG_TORCH:-2.13.0}"
  fi
fi
python -m pip install --quiet -e ".[all,test]"
export MPLBACKEND=Agg
