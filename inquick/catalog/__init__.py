"""Catalog search: the filters partner sites build "find a doctor" pages from."""
