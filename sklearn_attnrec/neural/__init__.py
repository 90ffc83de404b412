"""Neural recommenders: torch modules, wrapped by skorch in the estimators."""
