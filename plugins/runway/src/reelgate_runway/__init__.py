"""reelgate provider plugin for Runway."""
