#!/usr/bin/env bash
# Creates the separate virtual environment of bench_sasrec_rectools.py: RecTools
# 0.19 (SASRecModel) on a CPU build of torch. RecTools is never a dependency of
# sklearn_attnrec: this venv does not have the package, the script does not import it.
#
#   bash benchmarks/setup_rectools_venv.sh             # creates .venv-rectools/
#   bash benchmarks/setup_rectools_venv.sh /some/dir   # or there
#   .venv-rectools/bin/python benchmarks/bench_sasrec_rectools.py --epochs 2
#
# torch is installed first and pinned to 2.13.0, the version of the package's own
# venv and CI: pip finds the CPU wheel through the machine's find-links
# (/opt/wheels); a plain `pip install torch` would pull the multi-GB CUDA build.
# RecTools' "torch" extra then only adds pytorch-lightning (torch is satisfied).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-$repo_root/.venv-rectools}"
python="${PYTHON:-python3}"

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --upgrade pip
"$venv/bin/python" -m pip install "torch==2.13.0"
case "$("$venv/bin/python" -c 'import torch; print(torch.__version__)')" in
    *+cpu) ;;
    *) echo "warning: torch is not a +cpu build (no CPU wheel found?)" >&2 ;;
esac
# The constraint keeps the torch installed above (no upgrade, no CUDA build).
"$venv/bin/python" -m pip install "rectools[torch]==0.19.0" pandas \
    --constraint <(echo "torch==$("$venv/bin/python" -c 'import torch; print(torch.__version__)')")
"$venv/bin/python" -c "from rectools.models import SASRecModel; import rectools, torch; print('rectools', rectools.__version__, 'torch', torch.__version__, SASRecModel.__name__, 'OK')"
