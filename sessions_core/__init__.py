"""End sessions on the server for a known reason, and tell the user why."""
