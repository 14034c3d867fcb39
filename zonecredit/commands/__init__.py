"""The CLI's command groups, one module per noun; ``zonecredit.cli`` assembles them."""
