#!/usr/bin/env bash
# The test suite as CI runs it (make test): lint, then pytest.
# Long end-to-end runs are marked `slow` and deselected here (make test-all runs
# them); each recipe also has a tiny-config end-to-end test that always runs.
# The real-Slurm tests run when CI=true or SPTK_TEST_SLURM=1.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
.venv/bin/ruff check --quiet .
set +e
"$py" -m pytest -q -p no:cacheprovider tests "$@"
rc=$?
set -e
# Non-zero from pytest (failures, or 5 = no test collected) fails the run.
exit $rc
