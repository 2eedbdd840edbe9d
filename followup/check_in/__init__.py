"""The chef's check-in: its steps, the rules for each card, and the chef's feedback."""
