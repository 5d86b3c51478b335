"""One router per resource; each route declares its policy (``vacate.api.policy``)."""
