"""clouds/sim."""
