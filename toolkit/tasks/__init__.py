"""Tasks: data roles, datasets, losses, inference and scoring, one module per task."""
