"""The public site as a static bundle that any mirror can serve, and the tools to check it."""
