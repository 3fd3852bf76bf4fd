"""The staff web pages, one module per part of the site."""
