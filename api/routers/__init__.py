"""One router per resource; ``api.app`` mounts each that is present."""
