"""Plain ASGI middleware, one per module (Starlette's BaseHTTPMiddleware breaks contextvars)."""
