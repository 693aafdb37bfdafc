"""One router per resource; ``api.main`` mounts each that is present."""
