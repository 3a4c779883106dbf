"""reelgate-moderation-openai: the OpenAI moderation endpoint as a reelgate moderator."""
