"""Models, one per file, registered with ``@register_model(task, name)``."""
