"""The Discord adapter: client, cogs, views, embeds, i18n. It translates, it does not decide."""
