"""Domain logic shared by pages, the REST API, the CLI and jobs. Routes stay thin."""
