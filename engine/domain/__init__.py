"""Records and enums shared by every stage; this package imports nothing else of the project but ``engine.errors``."""
