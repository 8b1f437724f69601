"""Evidence out: SQLite → what each subscriber has not yet received → rendered digest → mail."""
