"""The access audit: what every operation touched, written to the store after the answer, and
the `auditEvents` field that reads it back (audit:read)."""
