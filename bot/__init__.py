"""The Teams edge of Ledarpuls: settings, the web app, the bot, the CLI."""
