"""The SDK for agents: ``VideoGenerationService``, its in-process and remote backends, and the
tools built on it."""
