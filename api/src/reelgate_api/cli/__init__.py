"""The `reelgate` command."""
