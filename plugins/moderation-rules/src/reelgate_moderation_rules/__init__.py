"""reelgate-moderation-rules: per-customer blocklists (``REELGATE_MODERATION_RULES``)."""
