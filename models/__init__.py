"""LightGBM boosters and everything after them: calibration, scales, policies, reasons, packaging."""
