"""File formats: problem/plan JSON (``problem_json``) and VROOM input/output (``vroom``)."""
