"""The demo: the one part of the product that imports `sandbox/` (the reference upstreams and
the demo world). tests/unit/test_layers.py holds it: nothing else in the product may.

    mode.py     `gateway serve --demo`: sandboxes, a seeded store, demo clients, the banner
    seed.py     the demo world as the store's rows; `gateway db seed`
    clients.py  the demo clients of the built-in issuer, with ready `curl` lines
    cli.py      the commands that need the sandbox: `gateway db seed`, `gateway sandbox serve`

Nothing is imported here: `gateway --help` and the commands that need no demo import cli.py
alone, not mode.py and all it needs.
"""
