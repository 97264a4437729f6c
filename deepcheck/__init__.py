"""deepcheck: find manipulated faces in photos and videos."""

__version__ = "0.1.0"
