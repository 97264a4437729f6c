"""Scan engines other than the default in-process loop (``deepcheck.pipeline.run_scan``).

Every engine runs the same ``Analyzer.analyze`` per file and returns the same
``ScanReport``, so the writers and exit codes never know which engine ran.
"""
