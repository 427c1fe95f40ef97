"""Use cases shared by the Discord adapter and the CLI: async, no Discord, no SQL."""
