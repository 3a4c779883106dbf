"""The HTTP face: the Litestar app, its controllers, the OpenAI ``/v1`` dialect, the MCP
mount and the playground."""
