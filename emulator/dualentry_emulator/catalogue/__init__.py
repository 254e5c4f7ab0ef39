"""Endpoint specs by family; `endpoints.CATALOGUE` assembles them."""
