"""Server-rendered HTML for DCC operators (issue #7): escaping templater, layout, pages."""
