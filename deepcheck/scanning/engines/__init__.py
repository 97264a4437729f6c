"""Scan engines: local worker processes (``local.py``, the default) and a Ray cluster (``ray_engine.py``).

Every engine runs the same per-file analysis (``deepcheck.scanning.worker_process.analyze_file``) and
returns the same ``ScanReport``, so the writers and exit codes never know which engine ran.
``deepcheck.scanning.pipeline.run_scan`` is the same analysis in this process, without isolation
(tests, benchmarks, ``deepcheck evaluate``).
"""
