"""Who is calling: partner hostnames, API keys and their scopes."""
