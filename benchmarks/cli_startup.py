"""Start-up time of ``sptk-cli --help`` (must stay well under a second)."""

import statistics
import subprocess
import sys
import time

times = []
for _ in range(5):
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "toolkit", "--help"], capture_output=True, check=True)
    times.append(time.perf_counter() - t0)
print(f"sptk-cli --help: median {statistics.median(times) * 1000:.0f} ms over 5 runs")
