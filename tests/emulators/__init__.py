"""HTTP emulators of the providers' APIs (WIRE.md), started by tests on 127.0.0.1."""
