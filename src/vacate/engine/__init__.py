"""The engine: durable jobs that reconcile the cloud toward a plan, one idempotent step at a time.

It talks only to the ports (Cloud, Store, Clock) and knows nothing of the CLI, the API or a
particular backend; progress is what it writes to the store, and what an optional observer sees.
"""
