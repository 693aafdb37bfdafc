"""Request and response models: the HTTP contract."""
