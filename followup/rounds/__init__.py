"""Collection rounds: their lifecycle, forms, calendar, reminders, working days and progress."""
