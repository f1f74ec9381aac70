"""The unified graph: one package per domain, merged into the root types in `schemas.schema`."""
