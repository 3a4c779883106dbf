"""reelgate-example: a complete example provider plugin (see README.md)."""
