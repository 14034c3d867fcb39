"""Feature families: each module declares its features and computes them (see ``base``)."""
