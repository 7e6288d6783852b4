"""Deliberately broken builds: a test that says the suite judges a role shows it failing them."""
