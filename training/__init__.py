"""Training: panels, Optuna tuning, MLflow tracking and registry, baselines, champion gate."""
