"""The domain of Ledarpuls: plain Python, no Bot Framework and no web server."""
