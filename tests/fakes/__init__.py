"""Fake playout servers for the radio push tests: small Flask apps, served on loopback by tests/webutil.Served,
that check every request against the systems' own OpenAPI documents (tests/data/openapi/)."""
