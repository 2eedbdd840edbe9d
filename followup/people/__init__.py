"""Who people are and what they may do: matching Teams users to the roster, roles."""
