// Names for select2 boxes (the admin's autocomplete fields). Select2 builds its
// markup in the browser, so its combobox, its read-only text and its search
// field cannot be named server-side: each takes the name of the <select>'s label.
// A static file, loaded under the Content-Security-Policy like the admin's own.
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
        document.querySelectorAll('select.admin-autocomplete').forEach(nameSelect2);
    }

    // After the admin's autocomplete.js has built the boxes (on DOM ready), and
    // for an inline row added later. Select2 keeps these attributes on its updates.
    // jQuery runs ready handlers in order and this deferred file comes after
    // autocomplete.js, so this one runs after it; "load" may come earlier.
    if (window.django && window.django.jQuery) {
        window.django.jQuery(() => setTimeout(nameAll));
    }
    window.addEventListener('load', nameAll);
    document.addEventListener('DOMContentLoaded', nameEditors);
    document.addEventListener('formset:added', () => setTimeout(nameAll));
}
