"""The scan engine: one file's analysis (``pipeline``), run in supervised worker processes
(``workers`` drives, ``worker_process`` is the child), resumed from a ``journal``, on this machine or a
Ray cluster (``engines/``). ``report_header`` starts every report.

The package is named ``scanning`` rather than ``scan`` because ``deepcheck.scan`` is the public function.
"""
