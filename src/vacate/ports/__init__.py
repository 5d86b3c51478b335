"""The edges the engine talks through: a cloud, a store and a clock (Protocols)."""
