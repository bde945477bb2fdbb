// Names for the inputs that scripts build in the browser, which no server-side
// aria-label can reach: select2 boxes (autocomplete fields, tag names) and the
// rich-text editor. Each takes the name of its field's <label>. Everything the
// server renders is named there (articles/admin_a11y.py). A static file, loaded
// under the Content-Security-Policy like the admin's own.
'use strict';
{
    function nameSelect2(select) {
        const label = select.id && document.querySelector(`label[for="${select.id}"]`);
        const container = select.nextElementSibling;
        if (!label || !container || !container.classList.contains('select2')) {
            return;
        }
        const name = label.textContent.replace(/:\s*$/, '').trim();
        if (!label.id) {
            label.id = `${select.id}_label`;
        }
        for (const combobox of container.querySelectorAll('[role="combobox"]')) {
            const shown = combobox.getAttribute('aria-labelledby') || '';
            if (!shown.split(' ').includes(label.id)) {
                combobox.setAttribute('aria-labelledby', `${label.id} ${shown}`.trim());
            }
        }
        for (const part of container.querySelectorAll('.select2-selection__rendered, .select2-search__field')) {
            part.setAttribute('aria-label', name);
        }
    }

    // The rich-text editor (django-prose-editor) hides its <textarea> and edits a
    // contenteditable box it builds in its place: that box takes the label too.
    const EDITORS = 'textarea[data-django-prose-editor-default], ' +
        'textarea[data-django-prose-editor-configurable], textarea[data-django-prose-editor]';

    function nameEditor(textarea) {
        const label = textarea.id && document.querySelector(`label[for="${textarea.id}"]`);
        const box = textarea.closest('.prose-editor');
        const editable = box && box.querySelector('[contenteditable]');
        if (!label || !editable) {
            return false;
        }
        if (!label.id) {
            label.id = `${textarea.id}_label`;
        }
        editable.setAttribute('aria-labelledby', label.id);
        return true;
    }

    function nameEditors() {
        for (const textarea of document.querySelectorAll(EDITORS)) {
            if (!nameEditor(textarea)) {
                // Not built yet: name it when the editor wraps the textarea.
                const watch = new MutationObserver(() => {
                    if (nameEditor(textarea)) {
                        watch.disconnect();
                    }
                });
                watch.observe(textarea.closest('form') || document.body, {childList: true, subtree: true});
            }
        }
    }

    function nameAll() {
        // Every select select2 has taken over (autocomplete fields, tag names).
        document.querySelectorAll('select.select2-hidden-accessible').forEach(nameSelect2);
    }

    // After the admin's autocomplete.js has built the boxes (on DOM ready), and
    // for an inline row added later.
    // jQuery runs ready handlers in order and this deferred file comes after
    // autocomplete.js, so this one runs after it; "load" may come earlier.
    if (window.django && window.django.jQuery) {
        const $ = window.django.jQuery;
        $(() => setTimeout(nameAll));
        // A multiple select2 redraws its search field as names are added or removed.
        $(document).on('change select2:select select2:unselect', 'select.select2-hidden-accessible',
            (event) => setTimeout(() => nameSelect2(event.target)));
    }
    window.addEventListener('load', nameAll);
    document.addEventListener('DOMContentLoaded', nameEditors);
    document.addEventListener('formset:added', () => setTimeout(nameAll));
}
