"""reelgate provider plugin for MiniMax Hailuo."""
