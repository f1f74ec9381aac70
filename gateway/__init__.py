"""Composition root: the Starlette app factory, settings, middleware, CLI and health endpoints."""
