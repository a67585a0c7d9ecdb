"""mirastream."""
