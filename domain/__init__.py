"""Pure domain values and rules: no I/O, no ORM, no HTTP. Every other package may import this."""
