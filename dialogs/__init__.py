"""Conversations and cards: what chefs and HR see in Teams, in Swedish and English."""
