"""Item pipelines: every side effect on the archive happens here."""
