"""A synthetic development-zone world with ground truth (issue 3): sources, latent states, labels."""

from data.synth.generate import WorldSummary, generate_world

__all__ = ["WorldSummary", "generate_world"]
