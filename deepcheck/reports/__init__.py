"""Results and reports: the plain records a scan fills, and the writers that turn them into formats.

``results`` holds the records (dataclasses) and imports no writer: its conveniences (``write``,
``to_json``, ``to_dataframe``) import theirs inside the method. ``view`` derives what several
formats show alike; ``writers/`` render (they never compute); ``custody`` hashes reports and
evidence for the chain-of-custody manifest. This layer needs only the media layer's file helpers
and the provenance findings: it does not know how the records were made.
"""
