"""A judicial bureau's supervision of grassroots enforcement (`supervisionStats`)."""
