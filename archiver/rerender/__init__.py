"""rerender."""
