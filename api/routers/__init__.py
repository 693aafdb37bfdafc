"""One router per resource; ``api.main`` includes each explicitly."""
