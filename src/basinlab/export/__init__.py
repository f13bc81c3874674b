"""basinlab.export: a run directory's results in other tools (MLflow: ``pip install 'basinlab[mlflow]'``)."""

from .mlflow import export_mlflow, mlflow_rows

__all__ = ["export_mlflow", "mlflow_rows"]
