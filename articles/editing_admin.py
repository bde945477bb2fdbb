"""The article change form's editing aids: the rich-text editor under the CSP,
preview before saving, conflict protection, autosave and presence.

A mixin for ``ArticleAdmin`` so that ``articles/admin.py`` changes by one line.
The state changes go through the services of ``articles/editing.py``.
"""

from js_asset import Media


class EditingAdminMixin:
    change_form_template = "admin/articles/article/change_form.html"

    def render_change_form(self, request, context, *args, **kwargs):
        # The editor's import map is an inline <script>: it runs under the CSP by
        # the request's nonce (script-src 'self' 'nonce-…'), nothing else inline.
        nonce = getattr(request, "csp_nonce", "")
        context["media"] = Media.from_media(context["media"], nonce=str(nonce))
        return super().render_change_form(request, context, *args, **kwargs)
