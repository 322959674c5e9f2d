"""Benchmark placeholder: generates the bench repo and times a full scan (see issue on perf)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default="../shared")
    args = ap.parse_args()
    out = os.path.join("bench", "out", "repo")
    if not os.path.isdir(out):
        subprocess.run(
            [sys.executable, os.path.join(args.shared, "bench", "make_repo.py"), out], check=True
        )
    start = time.perf_counter()
    subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "prodready"), "check", out,
         "--format", "sarif", "-o", os.path.join("bench", "out", "prodready.sarif"), "--exit-zero"],
        check=True,
    )
    print(f"full scan: {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
