"""PostgreSQL: engines, migrations, checkpoints."""
