"""The time machine's recording half: the recorder, its Parquet files, DuckDB queries, the service."""
