#!/usr/bin/env python3
"""Baseline for benches/discovery.rs: the original Python system's approach to
reading a DICOM tree (pydicom.dcmread(stop_before_pixels=True) per file, grouped
by SeriesInstanceUID per session folder). Prints one JSON line with the figures."""
import json
import os
import sys
import time
from collections import defaultdict

import pydicom


def scan(root):
    files = series_count = 0
    for session in sorted(os.listdir(root)):
        groups = defaultdict(int)
        for dirpath, _, names in os.walk(os.path.join(root, session)):
            for name in names:
                files += 1
                try:
                    ds = pydicom.dcmread(os.path.join(dirpath, name), stop_before_pixels=True)
                except Exception:
                    continue
                groups[str(ds.get("SeriesInstanceUID", ""))] += 1
        series_count += len(groups)
    return files, series_count


if __name__ == "__main__":
    start = time.perf_counter()
    files, series = scan(sys.argv[1])
    seconds = time.perf_counter() - start
    print(json.dumps({"files": files, "series": series, "seconds": seconds, "files_per_second": files / seconds}))
